import { FaultInjector } from '../../../src/emulator/faults';
import {
  behaviourSchema,
  FleetState,
  parseFleetFile,
  trustPolicyFor,
  trustsEcs,
} from '../../../src/emulator/fleet';
import { GENERATED_FLEET_SHARES, generateFleet } from '../../../src/emulator/generate';
import { seededRandom } from '../../../src/emulator/prng';
import { QuotaTracker } from '../../../src/emulator/quotas';
import { DEFAULT_BEHAVIOUR } from '../../../src/emulator/server';

describe('generateFleet', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    expect(generateFleet({ instances: 200, seed: 11 })).toEqual(generateFleet({ instances: 200, seed: 11 }));
    expect(generateFleet({ instances: 200, seed: 12 }).instances[0]).not.toEqual(
      generateFleet({ instances: 200, seed: 11 }).instances[0],
    );
  });

  it('produces a realistic mix: regions, statuses, classic, roles, tags, resource groups, ECS and non-ECS roles', () => {
    const fleet = generateFleet({ instances: 5000, seed: 3 });
    const instances = fleet.instances;
    const share = (predicate: (i: (typeof instances)[number]) => boolean) =>
      instances.filter(predicate).length / instances.length;
    expect(new Set(instances.map((i) => i.RegionId))).toEqual(
      new Set(['cn-hangzhou', 'cn-shanghai', 'cn-beijing']),
    );
    expect(new Set(instances.map((i) => i.Status))).toEqual(
      new Set(['Running', 'Stopped', 'Pending', 'Starting', 'Stopping']),
    );
    expect(new Set(instances.map((i) => i.ResourceGroupId)).size).toBe(4);
    expect(new Set(instances.map((i) => i.InstanceId)).size).toBe(5000);
    expect(share((i) => i.InstanceNetworkType === 'classic')).toBeCloseTo(GENERATED_FLEET_SHARES.classic, 1);
    expect(share((i) => i.RamRoleName === 'EcsAppRole')).toBeGreaterThan(0.15);
    expect(share((i) => i.RamRoleName !== undefined && i.RamRoleName !== 'EcsAppRole')).toBeGreaterThan(0.05);
    expect(instances.some((i) => i.InstanceNetworkType === 'classic' && i.RamRoleName)).toBe(false);
    expect(share((i) => i.Tags?.['env'] !== undefined)).toBeGreaterThan(0.85);
    expect(instances.some((i) => i.Tags?.['ecs-role-attach:exclude'] === 'true')).toBe(true);
    const trusting = fleet
      .roles!.filter((r) => trustsEcs(String(r.AssumeRolePolicyDocument)))
      .map((r) => r.RoleName);
    expect(trusting).toContain('EcsAppRole');
    expect(fleet.roles!.length).toBeGreaterThan(trusting.length);
    expect(fleet.credentials!.some((c) => c.securityToken)).toBe(true);
    expect(() => parseFleetFile(fleet)).not.toThrow();
  });

  it('builds and indexes 100,000 instances', () => {
    const fleet = generateFleet({ instances: 100_000, seed: 1 });
    const state = new FleetState(fleet.accountId!);
    const at = new Date('2025-01-01T00:00:00Z');
    for (const instance of fleet.instances) state.addInstance(instance, at);
    expect(state.instancesById.size).toBe(100_000);
    expect([...state.instancesByRegion.values()].reduce((n, list) => n + list.length, 0)).toBe(100_000);
  });
});

describe('fleet file validation and trust policies', () => {
  it('names the offending field and rejects unknown keys and duplicates', () => {
    expect(() => parseFleetFile({ instances: [{ InstanceId: 'i-1', Status: 'Flying' }] })).toThrow(/Status/);
    expect(() => parseFleetFile({ instances: [], extra: 1 })).toThrow(/extra/);
    expect(() => parseFleetFile({ instances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-1' }] })).toThrow(
      /duplicate InstanceId "i-1"/,
    );
  });

  it('accepts every behaviour switch of the emulator in "behaviour", and only those', () => {
    expect(Object.keys(behaviourSchema.shape).sort()).toEqual(Object.keys(DEFAULT_BEHAVIOUR).sort());
    const fleet = parseFleetFile({
      instances: [],
      behaviour: { ossSignatureV1: 'accept', metadataEndpointParam: 'optional', pendingAttach: 'reject' },
    });
    expect(fleet.behaviour).toEqual({
      ossSignatureV1: 'accept',
      metadataEndpointParam: 'optional',
      pendingAttach: 'reject',
    });
    expect(() => parseFleetFile({ instances: [], behaviour: { ossSignatureV1: 'maybe' } })).toThrow(
      /behaviour\.ossSignatureV1/,
    );
  });

  it.each([
    [trustPolicyFor('ecs.aliyuncs.com'), true],
    [JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs.aliyuncs.com' } }] }), true],
    [
      JSON.stringify({ Statement: [{ Effect: 'Deny', Principal: { Service: ['ecs.aliyuncs.com'] } }] }),
      false,
    ],
    [trustPolicyFor('fc.aliyuncs.com'), false],
    ['not json', false],
  ])('trustsEcs(%s) is %s', (document, expected) => {
    expect(trustsEcs(document)).toBe(expected);
  });
});

describe('QuotaTracker', () => {
  it('allows `limit` calls per one-second window aligned to the clock, per action', () => {
    let now = 10_500;
    const quotas = new QuotaTracker(() => now);
    quotas.set({ A: 2, B: 0 });
    expect([quotas.tryAcquire('A'), quotas.tryAcquire('A'), quotas.tryAcquire('A')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(quotas.tryAcquire('B')).toBe(false);
    expect(quotas.tryAcquire('C')).toBe(true);
    now = 10_999;
    expect(quotas.tryAcquire('A')).toBe(false);
    now = 11_000;
    expect([quotas.tryAcquire('A'), quotas.tryAcquire('A'), quotas.tryAcquire('A')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(quotas.set({ A: null })).toEqual({ B: 0 });
    expect(() => quotas.set({ A: -1 })).toThrow(
      /quota for A must be a number of calls per second >= 0, .*got -1/,
    );
    expect(() => quotas.set({ A: '5 per minute' })).toThrow(/"N\/Ks" \(e.g. "600\/60s"\)/);
  });

  it('counts "N/Ks" windows per action and scope; throttled in window T means throttled until T+1', () => {
    let now = 60_000;
    const quotas = new QuotaTracker(() => now);
    quotas.set({ A: '2/60s', B: '1/10(s)' });
    const three = (scope: string) => [1, 2, 3].map(() => quotas.tryAcquire('A', scope));
    expect(three('cn-hangzhou')).toEqual([true, true, false]);
    // Another region has its own budget.
    expect(three('cn-shanghai')).toEqual([true, true, false]);
    now = 119_999;
    expect(quotas.tryAcquire('A', 'cn-hangzhou')).toBe(false);
    now = 120_000;
    expect(three('cn-hangzhou')).toEqual([true, true, false]);
    expect([quotas.tryAcquire('B'), quotas.tryAcquire('B')]).toEqual([true, false]);
    // Raising the quota starts afresh; within a window a throttled action stays throttled.
    now = 125_000;
    quotas.set({ A: '3/60s' });
    expect(three('cn-hangzhou')).toEqual([true, true, true]);
  });

  it('answers token buckets (CloudFlow: bucket 10, refill 2/s)', () => {
    let now = 0;
    const quotas = new QuotaTracker(() => now);
    quotas.set({ R: { bucket: 10, refillPerSecond: 2 } });
    expect(Array.from({ length: 11 }, () => quotas.tryAcquire('R')).filter(Boolean)).toHaveLength(10);
    now = 499;
    expect(quotas.tryAcquire('R')).toBe(false);
    now = 500;
    expect([quotas.tryAcquire('R'), quotas.tryAcquire('R')]).toEqual([true, false]);
  });
});

describe('FaultInjector', () => {
  it('draws the same decisions for the same seed, honours rates and action scoping', () => {
    const decisions = (seed: number) => {
      const injector = new FaultInjector(seededRandom(seed));
      injector.merge({ serverErrorRate: 0.3, resetRate: 0.2, latencyMs: 5, jitterMs: 10, actions: ['A'] });
      return Array.from({ length: 200 }, () => injector.decide('A'));
    };
    const first = decisions(4);
    expect(first).toEqual(decisions(4));
    const errors = first.filter((d) => d.error === 'internal').length;
    expect(errors).toBeGreaterThan(30);
    expect(errors).toBeLessThan(90);
    expect(first.every((d) => d.delayMs >= 5 && d.delayMs < 15)).toBe(true);
    const injector = new FaultInjector(seededRandom(1));
    injector.merge({ serverErrorRate: 1, actions: ['A'] });
    expect(injector.decide('B')).toEqual({ delayMs: 0, reset: false, error: undefined });
  });

  it('merges per-instance faults key by key and removes with null', () => {
    const injector = new FaultInjector(seededRandom(1));
    injector.merge({ instanceErrors: { 'i-1': 'X', 'i-2': { Code: 'Y', Message: 'why' } } });
    injector.merge({ instanceErrors: { 'i-1': null, 'i-3': 'Z' }, latencyMs: 3 });
    expect(injector.current()).toEqual({
      latencyMs: 3,
      instanceErrors: { 'i-2': { Code: 'Y', Message: 'why' }, 'i-3': 'Z' },
    });
    expect(injector.instanceFault('i-2', false)).toEqual({ Code: 'Y', Message: 'why' });
    expect(injector.instanceFault('i-2', true)).toBeUndefined();
    expect(() => injector.merge({ bogus: 1 })).toThrow(/nothing was changed/);
  });
});
