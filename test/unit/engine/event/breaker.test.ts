import type { NotificationEvent } from '../../../../src/engine/notifications';
import {
  addToBacklog,
  type BreakerState,
  breakerNeedsWrite,
  breakerScope,
  closedBreaker,
  eventPathKeys,
  recordOutcomes,
  tallyBreaker,
  withBreakerLock,
} from '../../../../src/engine/paths/event/breaker';
import { type EventPathDeps, emptySummary } from '../../../../src/engine/paths/event/settings';
import { silentLogger } from '../../../../src/engine/ports';
import type { InstanceOutcome } from '../../../../src/engine/types';
import { VirtualClock } from '../../../helpers/clocks';
import { FakeEcs, FakeRam, MemoryStore } from '../../../helpers/engineFakes';

const NOW = '2026-12-02T03:00:00.000Z';

/** One letter per outcome: F failed, P pending (not attachable yet), A attached, R replaced, K already attached, S skipped. */
function outcomes(letters: string): InstanceOutcome[] {
  return [...letters].map((letter, index): InstanceOutcome => {
    const instanceId = `i-${letter.toLowerCase()}${index}`;
    switch (letter) {
      case 'F':
        return { instanceId, outcome: 'Failed', code: 'InvalidRamRole.NotEcsRole', message: 'not for ECS' };
      case 'P':
        return { instanceId, outcome: 'Failed', code: 'IncorrectInstanceStatus', message: 'Pending' };
      case 'A':
        return { instanceId, outcome: 'Attached' };
      case 'R':
        return { instanceId, outcome: 'Replaced', previousRole: 'Old' };
      case 'K':
        return { instanceId, outcome: 'AlreadyAttached' };
      default:
        return { instanceId, outcome: 'Skipped', reason: 'Excluded' };
    }
  });
}

describe('tallyBreaker (the breaker arithmetic)', () => {
  it.each`
    streak | letters      | threshold | state       | failures | opener
    ${0}   | ${''}        | ${5}      | ${'closed'} | ${0}     | ${undefined}
    ${0}   | ${'FFFF'}    | ${5}      | ${'closed'} | ${4}     | ${undefined}
    ${0}   | ${'FFFFF'}   | ${5}      | ${'open'}   | ${5}     | ${'i-f4'}
    ${3}   | ${'FF'}      | ${5}      | ${'open'}   | ${5}     | ${'i-f1'}
    ${3}   | ${'A'}       | ${5}      | ${'closed'} | ${0}     | ${undefined}
    ${3}   | ${'AFF'}     | ${5}      | ${'closed'} | ${2}     | ${undefined}
    ${4}   | ${'PSF'}     | ${5}      | ${'open'}   | ${5}     | ${'i-f2'}
    ${4}   | ${'PPPP'}    | ${5}      | ${'closed'} | ${4}     | ${undefined}
    ${4}   | ${'K'}       | ${5}      | ${'closed'} | ${0}     | ${undefined}
    ${4}   | ${'R'}       | ${5}      | ${'closed'} | ${0}     | ${undefined}
    ${0}   | ${'F'}       | ${1}      | ${'open'}   | ${1}     | ${'i-f0'}
    ${0}   | ${'FFFFFFF'} | ${5}      | ${'open'}   | ${7}     | ${'i-f4'}
    ${0}   | ${'FFFFFA'}  | ${5}      | ${'open'}   | ${5}     | ${'i-f4'}
    ${3}   | ${'FFAF'}    | ${5}      | ${'open'}   | ${6}     | ${'i-f1'}
  `(
    'streak $streak + "$letters" at threshold $threshold -> $state with $failures failures (opened by $opener)',
    ({ streak, letters, threshold, state, failures, opener }) => {
      const initial: BreakerState = {
        ...closedBreaker('2026-12-01T00:00:00.000Z'),
        consecutiveFailures: streak,
      };
      const tallied = tallyBreaker(initial, outcomes(letters), threshold, NOW);
      expect(tallied.state.state).toBe(state);
      expect(tallied.state.consecutiveFailures).toBe(failures);
      expect(tallied.opened?.instanceId).toBe(opener);
      expect(tallied.state.updatedAt).toBe(NOW);
      if (opener) {
        expect(tallied.state.openedAt).toBe(NOW);
        expect(tallied.state.reason).toBe(`${opener}: InvalidRamRole.NotEcsRole not for ECS`);
      } else expect(tallied.state.openedAt).toBeUndefined();
      // Pure: the input state is not changed.
      expect(initial.consecutiveFailures).toBe(streak);
    },
  );

  it('an open breaker counts failures on but neither re-opens nor resets', () => {
    const open: BreakerState = {
      state: 'open',
      consecutiveFailures: 5,
      openedAt: 'then',
      reason: 'r',
      updatedAt: 'then',
    };
    const tallied = tallyBreaker(open, outcomes('FAF'), 5, NOW);
    expect(tallied.opened).toBeUndefined();
    expect(tallied.state).toEqual({ ...open, consecutiveFailures: 7, updatedAt: NOW });
  });
});

describe('breakerNeedsWrite', () => {
  it.each`
    streak       | letters | write
    ${undefined} | ${'AK'} | ${false}
    ${undefined} | ${'F'}  | ${true}
    ${0}         | ${'A'}  | ${false}
    ${2}         | ${'A'}  | ${true}
    ${2}         | ${'PS'} | ${false}
    ${2}         | ${''}   | ${false}
    ${0}         | ${'PF'} | ${true}
  `('streak $streak, "$letters" -> $write', ({ streak, letters, write }) => {
    const initial = streak === undefined ? undefined : { ...closedBreaker(NOW), consecutiveFailures: streak };
    expect(breakerNeedsWrite(initial, outcomes(letters))).toBe(write);
  });
});

describe('breaker documents', () => {
  it('keys name the region and role, and the scope reads them back', () => {
    const keys = eventPathKeys('cn-hangzhou', 'EcsAppRole');
    expect(keys).toEqual({
      breaker: 'event-path/cn-hangzhou/EcsAppRole',
      backlog: 'event-path/cn-hangzhou/EcsAppRole/backlog',
    });
    expect(breakerScope(keys.breaker)).toEqual({ regionId: 'cn-hangzhou', ramRoleName: 'EcsAppRole' });
  });

  function deps(clock = new VirtualClock(Date.parse(NOW))) {
    const events: NotificationEvent[] = [];
    const warnings: unknown[] = [];
    const value: EventPathDeps = {
      ecs: new FakeEcs(),
      ram: new FakeRam(),
      store: new MemoryStore(),
      clock,
      logger: { ...silentLogger, warn: (line: unknown) => warnings.push(line) },
      owner: 'fc:req-1',
      notifier: { publish: (event) => events.push(event) },
      commandFlags: ' --state oss://b/p',
    };
    return { deps: value, events, warnings, clock };
  }

  it('opening at the threshold writes the document, queues the failed ids and notifies once', async () => {
    const { deps: d, events } = deps();
    const keys = eventPathKeys('cn-hangzhou', 'EcsAppRole');
    const summary = emptySummary();
    const failed = outcomes('FAF');
    summary.failed.push(
      { instanceId: 'i-f0', code: 'x', message: 'x' },
      { instanceId: 'i-f2', code: 'x', message: 'x' },
    );
    await recordOutcomes(keys, undefined, summary, failed, d, 2);
    // "A" resets the streak between the two failures: still closed.
    expect((await d.store.getDocument<BreakerState>(keys.breaker))?.state).toBe('closed');
    expect(summary.backlogged).toEqual([]);

    await recordOutcomes(keys, undefined, summary, outcomes('F'), d, 2);
    expect(await d.store.getDocument<BreakerState>(keys.breaker)).toMatchObject({
      state: 'open',
      consecutiveFailures: 2,
    });
    expect(await d.store.getDocument(keys.backlog)).toEqual({
      instanceIds: ['i-f0', 'i-f2'],
      updatedAt: NOW,
    });
    expect(summary.backlogged).toEqual(['i-f0', 'i-f2']);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'eventpath.breaker-opened',
        regionId: 'cn-hangzhou',
        ramRoleName: 'EcsAppRole',
        consecutiveFailures: 2,
        threshold: 2,
        command: 'ecs-role-attach resume-events --region cn-hangzhou --role EcsAppRole --state oss://b/p',
      }),
    ]);
  });

  it('no failure and no streak writes nothing', async () => {
    const { deps: d } = deps();
    const keys = eventPathKeys('cn-hangzhou', 'EcsAppRole');
    await recordOutcomes(keys, undefined, emptySummary(), outcomes('AKS'), d);
    expect(await d.store.getDocument(keys.breaker)).toBeUndefined();
  });

  it('the backlog keeps the first-queued order and no duplicates', async () => {
    const { deps: d } = deps();
    const keys = eventPathKeys('cn-hangzhou', 'EcsAppRole');
    await addToBacklog(keys, ['i-b', 'i-a'], d);
    await addToBacklog(keys, ['i-a', 'i-c', 'i-b'], d);
    expect((await d.store.getDocument<{ instanceIds: string[] }>(keys.backlog))?.instanceIds).toEqual([
      'i-b',
      'i-a',
      'i-c',
    ]);
  });

  it('a busy lock is polled with backoff for 5 s, then the update proceeds without it (logged)', async () => {
    const { deps: d, warnings, clock } = deps();
    await d.store.tryLock('event-path/cn-hangzhou/EcsAppRole', 'fc:other', 30_000);
    let ran = false;
    await clock.run(
      withBreakerLock('event-path/cn-hangzhou/EcsAppRole', d, async () => {
        ran = true;
      }),
    );
    expect(ran).toBe(true);
    expect(clock.sleeps).toEqual([50, 100, 200, 400, ...Array(9).fill(500)]);
    expect(warnings).toEqual([{ lock: 'event-path/cn-hangzhou/EcsAppRole' }]);
    // Not taken, so not released: the other holder keeps it.
    expect(await d.store.tryLock('event-path/cn-hangzhou/EcsAppRole', 'fc:third', 30_000)).toBe(false);
  });

  it('a free lock is taken, held during the body and released', async () => {
    const { deps: d, clock } = deps();
    const name = 'event-path/cn-hangzhou/EcsAppRole';
    let heldInside = true;
    await withBreakerLock(name, d, async () => {
      heldInside = !(await d.store.tryLock(name, 'fc:other', 30_000));
    });
    expect(heldInside).toBe(true);
    expect(clock.sleeps).toEqual([]);
    expect(await d.store.tryLock(name, 'fc:other', 30_000)).toBe(true);
  });
});
