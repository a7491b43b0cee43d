/**
 * The readable status report: counts, batches, failures grouped by code with their instances, skips,
 * and the exact next command (with the flags to repeat) when paused.
 */
import { renderReportText, writeJsonReport } from '../../../src/cli/report';
import type { ExecutionReport } from '../../../src/engine/index';
import { renderSweepText, type SweepReport } from '../../../src/engine/paths/sweep';

function report(overrides: Partial<ExecutionReport> = {}): ExecutionReport {
  return {
    executionId: 'exec-20260105T030000Z-abcdef',
    status: 'Waiting',
    statusReason: '2 failed, more than MaxErrors 0; paused: continue, retry or cancel',
    pauseReason: 'MaxErrorsExceeded',
    regionId: 'cn-hangzhou',
    ramRoleName: 'EcsAppRole',
    mode: 'FailurePause',
    counts: {
      total: 8,
      attached: 2,
      alreadyAttached: 1,
      replaced: 0,
      skipped: 1,
      failed: 3,
      cancelled: 0,
      pending: 1,
    },
    maxErrors: 0,
    batches: [
      { index: 0, size: 1, status: 'Success' },
      { index: 1, size: 5, status: 'Failed' },
      { index: 2, size: 1, status: 'Pending' },
    ],
    instances: [
      { instanceId: 'i-1', outcome: 'Attached' },
      { instanceId: 'i-2', outcome: 'Failed', code: 'InstanceLockedForSecurity', message: 'locked' },
      { instanceId: 'i-3', outcome: 'Failed', code: 'InstanceLockedForSecurity', message: 'locked' },
      { instanceId: 'i-4', outcome: 'Failed', code: 'IncorrectInstanceStatus', message: 'Pending' },
      { instanceId: 'i-5', outcome: 'Attached' },
      { instanceId: 'i-6', outcome: 'AlreadyAttached' },
      { instanceId: 'i-7', outcome: 'Skipped', reason: 'ClassicNetwork' },
      { instanceId: 'i-8', outcome: 'Pending' },
    ],
    ...overrides,
  };
}

describe('renderReportText', () => {
  it('shows counts, batches, failures grouped by code with instances, skips and the exact next command', () => {
    const text = renderReportText(report(), { state: '/tmp/my state', endpoint: 'http://127.0.0.1:9000' });
    expect(text).toContain(
      'Execution exec-20260105T030000Z-abcdef: Waiting — 2 failed, more than MaxErrors 0',
    );
    expect(text).toContain('targets 8: attached 2, already attached 1, skipped 1, failed 3, pending 1');
    expect(text).toContain(
      'batches 3 (1 Success, 1 Failed, 1 Pending): #1:1 Success, #2:5 Failed, #3:1 Pending',
    );
    expect(text).toContain('InstanceLockedForSecurity (2) — locked\n      i-2, i-3');
    expect(text).toContain('IncorrectInstanceStatus (1) — Pending\n      i-4');
    expect(text).toContain('skipped ClassicNetwork (1): i-7');
    expect(text).toContain(
      "next: ecs-role-attach resume exec-20260105T030000Z-abcdef --state '/tmp/my state' --endpoint http://127.0.0.1:9000",
    );
    expect(text).toContain('ecs-role-attach retry exec-20260105T030000Z-abcdef');
  });

  it('shows no next command for a finished execution, and abbreviates long lists', () => {
    const many = Array.from({ length: 25 }, (_, i) => ({
      instanceId: `i-${i}`,
      outcome: 'Failed' as const,
      code: 'X',
      message: i % 2 ? 'odd' : 'even',
    }));
    const text = renderReportText(report({ status: 'Failed', instances: many }));
    expect(text).not.toContain('next:');
    expect(text).toContain('X (25) — even (+1 other messages)');
    expect(text).toContain('… and 15 more');
  });

  it('labels a rollback with detached / restored counts', () => {
    const text = renderReportText(
      report({
        status: 'Success',
        rollbackOf: 'exec-20260101T000000Z-000000',
        counts: {
          total: 3,
          attached: 0,
          alreadyAttached: 0,
          replaced: 0,
          skipped: 1,
          failed: 0,
          cancelled: 0,
          pending: 0,
          detached: 1,
          restored: 1,
        },
        instances: [],
      }),
    );
    expect(text).toContain('rollback of exec-20260101T000000Z-000000');
    expect(text).toContain('targets 3: detached 1, restored 1, skipped 1, failed 0');
  });
});

describe('renderSweepText', () => {
  it('prints the compliance figures per region and in total', () => {
    const sweep: SweepReport = {
      role: 'EcsAppRole',
      regions: [
        {
          regionId: 'cn-hangzhou',
          state: 'swept',
          note: 'finished',
          executionId: 'exec-1',
          status: 'Success',
          evaluated: 10,
          compliant: 6,
          attachedNow: 2,
          replaced: 0,
          skipped: { ClassicNetwork: ['i-c'] },
          failed: [{ instanceId: 'i-f', code: 'InstanceLockedForSecurity', message: 'locked' }],
          notAttempted: 0,
          compliantAfter: 8,
        },
        {
          regionId: 'cn-shanghai',
          state: 'locked',
          note: 'another sweep holds the lock',
          evaluated: 0,
          compliant: 0,
          attachedNow: 0,
          replaced: 0,
          skipped: {},
          failed: [],
          notAttempted: 0,
          compliantAfter: 0,
        },
      ],
      totals: {
        evaluated: 10,
        compliant: 6,
        attachedNow: 2,
        skipped: 1,
        failed: 1,
        notAttempted: 0,
        compliantAfter: 8,
      },
    };
    const text = renderSweepText(sweep);
    expect(text).toContain('cn-hangzhou: Success — finished [exec-1]');
    expect(text).toContain('evaluated 10: compliant 6, attached now 2, skipped 1, failed 1');
    expect(text).toContain('failed i-f: InstanceLockedForSecurity locked');
    expect(text).toContain('cn-shanghai: locked — another sweep holds the lock');
    expect(text).toContain(
      'total: 10 evaluated, 8 bear EcsAppRole now (6 already, 2 attached now), 1 skipped, 1 failed',
    );
  });
});

describe('writeJsonReport', () => {
  const written = (r: ExecutionReport) => {
    const chunks: string[] = [];
    writeJsonReport({ write: (chunk: string) => chunks.push(chunk) > 0 }, r);
    return chunks;
  };

  it.each([0, 1, 999, 1000, 1001, 2500])(
    'writes exactly JSON.stringify(report) plus a newline with %i instances, 1,000 lines per write',
    (n) => {
      const r = report({
        instances: Array.from({ length: n }, (_, i) => ({
          instanceId: `i-${i}`,
          outcome: i % 3 ? 'Attached' : 'Skipped',
          ...(i % 3 ? {} : { reason: 'Excluded', message: 'quote " and \\ and \u0000' }),
        })),
        // A nested "instances" key is left alone: only the report's own list is streamed.
        warnings: ['instances'],
      });
      const chunks = written(r);
      expect(chunks.join('')).toBe(`${JSON.stringify(r)}\n`);
      expect(chunks).toHaveLength(n === 0 ? 1 : 2 + Math.ceil(n / 1000));
    },
  );
});
