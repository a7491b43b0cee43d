import { BlastRadiusError, maxTargetsLimit } from '../../../src/engine/blastRadius';
import { MAX_TARGETS_DEFAULTS } from '../../../src/engine/defaults';
import { createExecution, type EngineDeps } from '../../../src/engine/execution';
import { runSweep } from '../../../src/engine/paths/sweep';
import { silentLogger } from '../../../src/engine/ports';
import { parseExecutionInput } from '../../../src/inputs/parameters';
import { SteppingClock } from '../../helpers/clocks';
import { FakeEcs, FakeRam, fleet, MemoryStore } from '../../helpers/engineFakes';

function setup(count: number, extra?: Parameters<typeof fleet>[1]) {
  const ecs = new FakeEcs(fleet(count, extra));
  const store = new MemoryStore();
  const deps: EngineDeps = {
    ecs,
    ram: new FakeRam(['EcsAppRole', 'OtherRole']),
    store,
    clock: new SteppingClock(Date.UTC(2026, 10, 22, 12)),
    random: () => 0.5,
    logger: silentLogger,
  };
  return { ecs, deps, store };
}

const input = (extra: Record<string, unknown>) =>
  parseExecutionInput({
    regionId: 'cn-hangzhou',
    RamRoleName: 'EcsAppRole',
    targets: { Type: 'Tags', Tags: [{ Key: 'env' }] },
    ...extra,
  });

describe('maxTargets (blast-radius belt)', () => {
  it.each([
    [{}, undefined],
    [{ onConflict: 'replace' }, MAX_TARGETS_DEFAULTS.replace],
    [{ targets: { Type: 'All' } }, MAX_TARGETS_DEFAULTS.all],
    [{ targets: { Type: 'All' }, onConflict: 'replace' }, MAX_TARGETS_DEFAULTS.replace],
    [{ targets: { Type: 'All' }, maxTargets: '100%' }, '100%'],
    [{ maxTargets: '7' }, 7],
  ])('limit for %j is %p', (extra, expected) => {
    expect(maxTargetsLimit(input(extra))?.amount).toBe(expected);
  });

  it.each([0, -1, 'ten', '150%'])('refuses maxTargets %p naming the field', (value) => {
    expect(() => input({ maxTargets: value })).toThrow(/^maxTargets must be a positive integer/);
  });

  it('fails before any write or stored execution when more instances need a write than allowed', async () => {
    // 10 instances: 4 already bear the role (no write), 6 need one.
    const { ecs, deps, store } = setup(10, (i) => (i < 4 ? { role: 'EcsAppRole' } : {}));
    const error = await createExecution(input({ maxTargets: '50%' }), deps, { origin: 'cli' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BlastRadiusError);
    expect((error as BlastRadiusError).message).toContain(
      'maxTargets 50% of 10 selected = 5 (maxTargets) allows at most 5 instance writes, but 6 of the 10 selected instances need one; no instance was changed',
    );
    expect(ecs.attachCount()).toBe(0);
    expect(await store.list()).toEqual([]);
    // Exactly at the limit it runs.
    await expect(createExecution(input({ maxTargets: 6 }), deps, { origin: 'cli' })).resolves.toMatchObject({
      status: 'Running',
    });
  });

  it('counts replaces under the replace default, and a dry run reports instead of failing', async () => {
    const { deps } = setup(MAX_TARGETS_DEFAULTS.replace + 1, () => ({ role: 'OtherRole' }));
    const parameters = input({ onConflict: 'replace' });
    await expect(createExecution(parameters, deps, { origin: 'cli' })).rejects.toThrow(
      /maxTargets 100 \(default for onConflict replace\) allows at most 100 instance writes, but 101/,
    );
    const dry = await createExecution(parameters, deps, { origin: 'cli', dryRun: true });
    expect(dry.status).toBe('Planned');
    expect(dry.statusReason).toMatch(/^a real run would be refused: maxTargets 100/);
  });

  it('with role rules: a rule that replaces brings the replace default, named in the message', async () => {
    const rules = (onConflict?: string) => ({
      rules: [
        {
          name: 'prod',
          match: { tags: { env: 'prod' } },
          role: 'EcsAppRole',
          ...(onConflict ? { onConflict } : {}),
        },
      ],
    });
    expect(
      maxTargetsLimit(
        parseExecutionInput({
          regionId: 'cn-hangzhou',
          targets: { Type: 'Tags', Tags: [{ Key: 'env' }] },
          rules: rules(),
        }),
      ),
    ).toBeUndefined();
    const parameters = parseExecutionInput({
      regionId: 'cn-hangzhou',
      targets: { Type: 'Tags', Tags: [{ Key: 'env' }] },
      rules: rules('replace'),
    });
    expect(maxTargetsLimit(parameters)).toEqual({
      amount: MAX_TARGETS_DEFAULTS.replace,
      source: 'default for onConflict replace (rule "prod")',
    });
    // 202 instances, the 101 env=prod ones bear another role: 101 replaces under rule prod.
    const { ecs, deps, store } = setup(202, () => ({ role: 'OtherRole' }));
    await expect(createExecution(parameters, deps, { origin: 'cli' })).rejects.toThrow(
      'maxTargets 100 (default for onConflict replace (rule "prod")) allows at most 100 instance writes, but 101 of the 202 selected instances need one',
    );
    expect(ecs.attachCount()).toBe(0);
    expect(await store.list()).toEqual([]);
    // An explicit maxTargets counts only the rule's writes (the 101 unmatched instances are NoRule).
    const lifted = await createExecution({ ...parameters, maxTargets: 101 }, deps, { origin: 'cli' });
    expect(lifted.status).toBe('Running');
  });

  it('a sweep over the limit reports the region refused and writes nothing', async () => {
    const { ecs, deps } = setup(5);
    const report = await runSweep(
      { regions: ['cn-hangzhou'], role: 'EcsAppRole', maxTargets: 3 },
      () => deps,
    );
    expect(report.regions[0]).toMatchObject({ state: 'refused', attachedNow: 0 });
    expect(report.regions[0]?.note).toMatch(/allows at most 3 instance writes, but 5/);
    expect(ecs.attachCount()).toBe(0);
  });
});
