/**
 * The export document built from an execution's report and plan: one row per target with its batch,
 * rule and role, reason or code, and the role it bore before; per-batch outcome counts; failures by code.
 */
import type { ExecutionReport } from '../../../src/engine/index';
import { exportExecution, reportDocument } from '../../../src/report/index';

const counts = {
  total: 5,
  attached: 1,
  alreadyAttached: 1,
  replaced: 1,
  skipped: 1,
  failed: 1,
  cancelled: 0,
  pending: 0,
};

const report: ExecutionReport = {
  executionId: 'exec-1',
  status: 'Success',
  regionId: 'cn-hangzhou',
  ramRoleName: '@rules',
  mode: 'Automatic',
  counts,
  maxErrors: 5,
  batches: [
    { index: 0, size: 1, status: 'Success' },
    { index: 1, size: 2, status: 'Failed' },
  ],
  instances: [
    { instanceId: 'i-1', outcome: 'Attached', rule: 'web', role: 'WebRole' },
    { instanceId: 'i-2', outcome: 'Replaced', previousRole: 'OldRole', rule: 'web', role: 'WebRole' },
    { instanceId: 'i-3', outcome: 'Failed', code: 'E.X', message: 'boom', rule: 'db', role: 'DbRole' },
    { instanceId: 'i-4', outcome: 'AlreadyAttached', rule: 'db', role: 'DbRole' },
    { instanceId: 'i-5', outcome: 'Skipped', reason: 'NoRule', rule: '' },
  ],
};
const plan = {
  batches: [
    { index: 0, instanceIds: ['i-1'], concurrency: 1 },
    { index: 1, instanceIds: ['i-2', 'i-3'], concurrency: 2 },
  ],
  targets: [
    { instanceId: 'i-1' },
    { instanceId: 'i-2', currentRole: 'OldRole' },
    { instanceId: 'i-3' },
    { instanceId: 'i-4' },
    { instanceId: 'i-5', currentRole: 'Someone' },
  ],
};

describe('exportExecution', () => {
  const { execution, rows } = exportExecution({ report, plan, accountId: '2000000000000001' });

  it('makes one row per target with batch, rule, role, reason or code and the role found before', () => {
    expect(rows).toEqual([
      {
        accountId: '2000000000000001',
        regionId: 'cn-hangzhou',
        executionId: 'exec-1',
        batch: 1,
        instanceId: 'i-1',
        rule: 'web',
        role: 'WebRole',
        outcome: 'Attached',
      },
      {
        accountId: '2000000000000001',
        regionId: 'cn-hangzhou',
        executionId: 'exec-1',
        batch: 2,
        instanceId: 'i-2',
        rule: 'web',
        role: 'WebRole',
        outcome: 'Replaced',
        previousRole: 'OldRole',
      },
      {
        accountId: '2000000000000001',
        regionId: 'cn-hangzhou',
        executionId: 'exec-1',
        batch: 2,
        instanceId: 'i-3',
        rule: 'db',
        role: 'DbRole',
        outcome: 'Failed',
        reason: 'E.X',
        message: 'boom',
      },
      {
        accountId: '2000000000000001',
        regionId: 'cn-hangzhou',
        executionId: 'exec-1',
        instanceId: 'i-4',
        rule: 'db',
        role: 'DbRole',
        outcome: 'AlreadyAttached',
        previousRole: 'DbRole',
      },
      {
        accountId: '2000000000000001',
        regionId: 'cn-hangzhou',
        executionId: 'exec-1',
        instanceId: 'i-5',
        role: '',
        outcome: 'Skipped',
        reason: 'NoRule',
        previousRole: 'Someone',
      },
    ]);
  });

  it('counts the outcomes of each batch from its rows', () => {
    expect(execution.batches).toEqual([
      { number: 1, size: 1, status: 'Success', outcomes: { Attached: 1 } },
      { number: 2, size: 2, status: 'Failed', outcomes: { Replaced: 1, Failed: 1 } },
    ]);
  });

  it('totals the rows and groups failures by code, an unreached child counted by its code', () => {
    const unreached = {
      execution: {
        executionId: 'org-1.2000000000000002.cn-hangzhou',
        accountId: '2000000000000002',
        regionId: 'cn-hangzhou',
        status: 'Failed' as const,
        statusReason: 'could not be reached',
        code: 'EntityNotExist.Role',
        ramRoleName: 'EcsAppRole',
        batches: [],
      },
      rows: [],
    };
    const document = reportDocument(
      { kind: 'organization', id: 'org-1', status: 'Failed', ramRoleName: 'EcsAppRole' },
      [{ execution, rows }, unreached],
      new Date('2026-12-02T04:00:00Z'),
    );
    expect(document.totals).toEqual({
      instances: 5,
      Attached: 1,
      Replaced: 1,
      Failed: 1,
      AlreadyAttached: 1,
      Skipped: 1,
    });
    expect(document.failuresByCode).toEqual([
      { code: 'E.X', count: 1, message: 'boom' },
      { code: 'EntityNotExist.Role', count: 1, message: 'could not be reached' },
    ]);
    expect(document.generatedAt).toBe('2026-12-02T04:00:00.000Z');
    expect(document.executions).toHaveLength(2);
  });
});
