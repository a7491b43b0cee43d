/**
 * The chunk writes (attach, replace, detach) and the rollback chunk, over the in-memory FakeEcs:
 * how each failure is settled against the instance's current role.
 */
import { attachChunk, type ChunkContext, detachChunk, replaceChunk } from '../../../src/engine/chunk';
import { CloudApiError } from '../../../src/engine/errors';
import { rollbackChunk } from '../../../src/engine/execution/rollback';
import type { PlannedTarget } from '../../../src/engine/types';
import { FakeEcs, fleet } from '../../helpers/engineFakes';

const OURS = 'EcsAppRole';

function setup(count: number, roles: Record<number, string> = {}): { ecs: FakeEcs; context: ChunkContext } {
  const ecs = new FakeEcs(fleet(count, (index) => (roles[index] ? { role: roles[index] } : {})));
  ecs.emulatorDetachCodes = true;
  return { ecs, context: { ecs, regionId: 'cn-hangzhou', ramRoleName: OURS } };
}

const id = (index: number): string => `i-t${String(index).padStart(4, '0')}`;

function resetError(action: string): CloudApiError {
  return new CloudApiError({ action, code: 'ECONNRESET', message: 'socket hang up', retryable: true });
}

function byId<T extends { instanceId: string }>(items: T[]): Map<string, T> {
  return new Map(items.map((item) => [item.instanceId, item]));
}

describe('attachChunk', () => {
  it('records Attached for an instance that bears our role after a per-instance failure (retry after a landed attach)', async () => {
    const { ecs, context } = setup(3);
    // What the retry of a landed attach sees: our role is there, ECS answers "already attached".
    ecs.instances.get(id(1))!.role = OURS;
    ecs.failAttach.set(id(1), 'RamRoleAlreadyAttached');
    const outcomes = await attachChunk(context, [id(0), id(1), id(2)]);
    expect(outcomes).toEqual(
      expect.arrayContaining([
        { instanceId: id(0), outcome: 'Attached' },
        { instanceId: id(1), outcome: 'Attached' },
        { instanceId: id(2), outcome: 'Attached' },
      ]),
    );
    expect(outcomes).toHaveLength(3);
  });

  it('keeps Failed for a per-instance failure of an instance that does not bear our role', async () => {
    const { ecs, context } = setup(2, { 1: 'Other' });
    const outcomes = byId(await attachChunk(context, [id(0), id(1)]));
    expect(outcomes.get(id(1))).toMatchObject({ outcome: 'Failed', code: 'InvalidParameter.RoleAttached' });
    expect(ecs.instances.get(id(1))!.role).toBe('Other');
  });
});

describe('replaceChunk', () => {
  it('detaches with the planned role named, one call per planned role, then attaches ours', async () => {
    const { ecs, context } = setup(4, { 0: 'A', 1: 'B', 2: 'A', 3: 'B' });
    const planned = new Map([
      [id(0), 'A'],
      [id(1), 'B'],
      [id(2), 'A'],
      [id(3), 'B'],
    ]);
    const outcomes = await replaceChunk(context, [id(0), id(1), id(2), id(3)], planned);
    const detaches = ecs.calls.filter((call) => call.action === 'DetachInstanceRamRole');
    expect(detaches).toEqual([
      { action: 'DetachInstanceRamRole', ids: [id(0), id(2)], role: 'A' },
      { action: 'DetachInstanceRamRole', ids: [id(1), id(3)], role: 'B' },
    ]);
    expect(byId(outcomes).get(id(3))).toEqual({ instanceId: id(3), outcome: 'Replaced', previousRole: 'B' });
    for (let i = 0; i < 4; i++) expect(ecs.instances.get(id(i))!.role).toBe(OURS);
  });

  it('a rerun after a crash between detach and attach attaches ours (RamRoleNotAttached is not a failure)', async () => {
    // The first run detached Old and crashed: the instance bears no role.
    const { ecs, context } = setup(2, { 1: 'Old' });
    const planned = new Map([
      [id(0), 'Old'],
      [id(1), 'Old'],
    ]);
    const outcomes = byId(await replaceChunk(context, [id(0), id(1)], planned));
    expect(outcomes.get(id(0))).toEqual({ instanceId: id(0), outcome: 'Replaced', previousRole: 'Old' });
    expect(outcomes.get(id(1))).toEqual({ instanceId: id(1), outcome: 'Replaced', previousRole: 'Old' });
    expect(ecs.instances.get(id(0))!.role).toBe(OURS);
    expect(ecs.instances.get(id(1))!.role).toBe(OURS);
  });

  it('a detach that landed before the connection broke still ends Replaced', async () => {
    const { ecs, context } = setup(3, { 0: 'Old', 1: 'Old', 2: 'Old' });
    ecs.nextDetachError = { error: resetError('DetachInstanceRamRole'), applied: true };
    const planned = new Map([0, 1, 2].map((i) => [id(i), 'Old'] as const));
    const outcomes = await replaceChunk(context, [id(0), id(1), id(2)], planned);
    expect(outcomes).toHaveLength(3);
    for (const outcome of outcomes)
      expect(outcome).toMatchObject({ outcome: 'Replaced', previousRole: 'Old' });
    for (let i = 0; i < 3; i++) expect(ecs.instances.get(id(i))!.role).toBe(OURS);
  });

  it('a detach call that failed without landing leaves Failed with the call error, role untouched', async () => {
    const { ecs, context } = setup(1, { 0: 'Old' });
    ecs.nextDetachError = { error: resetError('DetachInstanceRamRole'), applied: false };
    const [outcome] = await replaceChunk(context, [id(0)], new Map([[id(0), 'Old']]));
    expect(outcome).toMatchObject({ outcome: 'Failed', code: 'ECONNRESET' });
    expect((outcome as { message: string }).message).toContain('could not detach role Old');
    expect(ecs.instances.get(id(0))!.role).toBe('Old');
    expect(ecs.attachCount()).toBe(0);
  });

  it('a per-instance detach failure of an instance still bearing the planned role is Failed with that code', async () => {
    const { ecs, context } = setup(2, { 0: 'Old', 1: 'Old' });
    ecs.failDetach.set(id(1), 'Forced.Error');
    const outcomes = byId(
      await replaceChunk(
        context,
        [id(0), id(1)],
        new Map([
          [id(0), 'Old'],
          [id(1), 'Old'],
        ]),
      ),
    );
    expect(outcomes.get(id(0))).toMatchObject({ outcome: 'Replaced' });
    expect(outcomes.get(id(1))).toMatchObject({ outcome: 'Failed', code: 'Forced.Error' });
    expect(ecs.instances.get(id(1))!.role).toBe('Old');
  });

  it('an instance whose role changed since planning is left alone (RoleChanged), not detached', async () => {
    const { ecs, context } = setup(2, { 0: 'Old', 1: 'Newer' });
    const outcomes = byId(
      await replaceChunk(
        context,
        [id(0), id(1)],
        new Map([
          [id(0), 'Old'],
          [id(1), 'Old'],
        ]),
      ),
    );
    expect(outcomes.get(id(1))).toEqual({
      instanceId: id(1),
      outcome: 'Failed',
      code: 'RoleChanged',
      message: 'bears role Newer now, not the planned Old; left alone',
    });
    expect(ecs.instances.get(id(1))!.role).toBe('Newer');
    expect(outcomes.get(id(0))).toMatchObject({ outcome: 'Replaced', previousRole: 'Old' });
  });

  it('an instance that already bears ours (rerun after the attach landed) is Replaced without a write', async () => {
    const { ecs, context } = setup(1, { 0: OURS });
    const [outcome] = await replaceChunk(context, [id(0)], new Map([[id(0), 'Old']]));
    expect(outcome).toEqual({ instanceId: id(0), outcome: 'Replaced', previousRole: 'Old' });
    expect(ecs.attachCount()).toBe(0);
    expect(ecs.instances.get(id(0))!.role).toBe(OURS);
  });

  it('when the roles cannot be read after a failed detach, the instance is Failed and nothing is attached', async () => {
    const { ecs, context } = setup(1, { 0: 'Old' });
    ecs.failDetach.set(id(0), 'Forced.Error');
    ecs.describeRolesError = resetError('DescribeInstanceRamRole');
    const [outcome] = await replaceChunk(context, [id(0)], new Map([[id(0), 'Old']]));
    expect(outcome).toMatchObject({ outcome: 'Failed', code: 'Forced.Error' });
    expect(ecs.attachCount()).toBe(0);
  });
});

describe('detachChunk and rollbackChunk', () => {
  it('detachChunk counts a per-instance failure of an instance no longer bearing ours as detached', async () => {
    const { ecs, context } = setup(3, { 0: OURS, 2: OURS });
    // i-t0001: the first attempt landed, the retry gets RamRoleNotAttached.
    const results = byId(await detachChunk(context, [id(0), id(1), id(2)]));
    expect(results.get(id(1))).toMatchObject({ success: true, code: '200' });
    ecs.instances.get(id(2))!.role = OURS;
    ecs.failDetach.set(id(2), 'Forced.Error');
    const again = byId(await detachChunk(context, [id(2)]));
    expect(again.get(id(2))).toMatchObject({ success: false, code: 'Forced.Error' });
  });

  it('rollbackChunk restores the previous role when the detach landed but the retry failed', async () => {
    const { ecs, context } = setup(3, { 0: OURS, 1: OURS, 2: OURS });
    const targets = new Map<string, PlannedTarget>([
      [id(0), { instanceId: id(0), work: 'restore', restoreRole: 'Old' }],
      [id(1), { instanceId: id(1), work: 'detach' }],
      [id(2), { instanceId: id(2), work: 'restore', restoreRole: 'Old' }],
    ]);
    ecs.nextDetachError = { error: resetError('DetachInstanceRamRole'), applied: true };
    const outcomes = byId(await rollbackChunk(context, [id(0), id(1), id(2)], targets, new Set()));
    expect(outcomes.get(id(0))).toEqual({ instanceId: id(0), outcome: 'Restored', previousRole: 'Old' });
    expect(outcomes.get(id(1))).toEqual({ instanceId: id(1), outcome: 'Detached', role: OURS });
    expect(outcomes.get(id(2))).toEqual({ instanceId: id(2), outcome: 'Restored', previousRole: 'Old' });
    expect(ecs.instances.get(id(0))!.role).toBe('Old');
    expect(ecs.instances.get(id(1))!.role).toBeUndefined();
  });

  it('rollbackChunk settles a per-instance RamRoleNotAttached as detached and goes on with the restore', async () => {
    const { ecs, context } = setup(1, { 0: OURS });
    const targets = new Map<string, PlannedTarget>([
      [id(0), { instanceId: id(0), work: 'restore', restoreRole: 'Old' }],
    ]);
    // Simulate the landed-then-retried detach: our role goes away, ECS answers RamRoleNotAttached.
    const original = ecs.detachInstanceRamRole.bind(ecs);
    ecs.detachInstanceRamRole = async (regionId, ids, role) => {
      for (const instanceId of ids) delete ecs.instances.get(instanceId)!.role;
      return original(regionId, ids, role);
    };
    const [outcome] = await rollbackChunk(context, [id(0)], targets, new Set());
    expect(outcome).toEqual({ instanceId: id(0), outcome: 'Restored', previousRole: 'Old' });
    expect(ecs.instances.get(id(0))!.role).toBe('Old');
  });

  it('rollbackChunk still fails an instance that keeps our role after a failed detach', async () => {
    const { ecs, context } = setup(1, { 0: OURS });
    ecs.failDetach.set(id(0), 'Forced.Error');
    const targets = new Map<string, PlannedTarget>([
      [id(0), { instanceId: id(0), work: 'restore', restoreRole: 'Old' }],
    ]);
    const [outcome] = await rollbackChunk(context, [id(0)], targets, new Set());
    expect(outcome).toMatchObject({ outcome: 'Failed', code: 'Forced.Error' });
    expect(ecs.instances.get(id(0))!.role).toBe(OURS);
    expect(ecs.attachCount()).toBe(0);
  });

  it('the fake keeps its default detach code when emulator codes are off', async () => {
    const ecs = new FakeEcs(fleet(1));
    const [result] = await ecs.detachInstanceRamRole('cn-hangzhou', [id(0)]);
    expect(result).toMatchObject({ success: false, code: 'InvalidRamRole.NotAttached' });
  });
});
