/** The parent execution's aggregated report and its text form, from a hand-made parent record. */

import {
  CloudApiError,
  childParameters,
  createOrganization,
  type OrganizationDeps,
  type OrganizationRecord,
  organizationReport,
  renderOrganizationText,
  runOrganization,
  silentLogger,
} from '../../../src/engine/index';
import { SteppingClock } from '../../helpers/clocks';
import { FakeEcs, FakeRam, fleet, MemoryStore } from '../../helpers/engineFakes';

const counts = (total: number, attached: number, failed = 0) => ({
  total,
  attached,
  alreadyAttached: total - attached - failed,
  replaced: 0,
  skipped: 0,
  failed,
  cancelled: 0,
  pending: 0,
});

const record: OrganizationRecord = {
  organizationId: 'org-20261201T101500Z-4f3a9c',
  kind: 'sweep',
  origin: 'sweep',
  createdAt: '2026-12-01T10:15:00.000Z',
  updatedAt: '2026-12-01T10:16:00.000Z',
  status: 'Failed',
  statusReason: '2 of 4 children failed',
  ramRoleName: 'EcsAppRole',
  input: {
    kind: 'sweep',
    request: { regions: ['cn-hangzhou', 'cn-beijing'], role: 'EcsAppRole' },
    settings: {},
  },
  accountConcurrency: 4,
  accounts: ['2000000000000001', '2000000000000002'].map((accountId) => ({
    accountId,
    displayName: `member ${accountId.slice(-1)}`,
    management: false,
    regions: ['cn-hangzhou', 'cn-beijing'],
    assumeRole: 'ResourceDirectoryAccountAccessRole',
  })),
  leftOut: [{ accountId: '1234567890123456', reason: 'the management account (add --include-management)' }],
  children: [
    {
      accountId: '2000000000000001',
      regionId: 'cn-hangzhou',
      executionId: 'a',
      status: 'Success',
      counts: counts(10, 4),
    },
    {
      accountId: '2000000000000001',
      regionId: 'cn-beijing',
      executionId: 'b',
      status: 'Success',
      counts: counts(5, 2, 1),
      failuresByCode: { 'Forbidden.Lock': 1 },
    },
    ...['cn-hangzhou', 'cn-beijing'].map((regionId) => ({
      accountId: '2000000000000002',
      regionId,
      executionId: `c-${regionId}`,
      status: 'Failed' as const,
      code: 'NoPermission',
      reason: 'account 2000000000000002 could not be reached with role ResourceDirectoryAccountAccessRole',
    })),
  ],
};

describe('organizationReport', () => {
  it('aggregates per account, totals and failures by code (account-level failures once per child)', () => {
    const report = organizationReport(record);
    expect(report.accounts.map((a) => [a.accountId, a.status])).toEqual([
      ['2000000000000001', 'Success'],
      ['2000000000000002', 'Failed'],
    ]);
    expect(report.totals).toEqual({
      accounts: 2,
      children: 4,
      childrenByStatus: { Success: 2, Failed: 2 },
      targets: 15,
      alreadyAttached: 8,
      attached: 6,
      replaced: 0,
      skipped: 0,
      failed: 1,
      notAttempted: 0,
      compliantAfter: 14,
      detached: 0,
      restored: 0,
    });
    expect(report.failuresByCode).toEqual({ 'Forbidden.Lock': 1, NoPermission: 2 });
  });

  it('renders one line per account and region, the left-out accounts and the totals', () => {
    const text = renderOrganizationText(organizationReport(record));
    expect(text).toContain(
      'Organization execution org-20261201T101500Z-4f3a9c (sweep of role EcsAppRole): Failed',
    );
    expect(text).toContain(
      '    cn-beijing: Success — targets 5: already 2, attached 2, skipped 0, failed 1 [b]',
    );
    expect(text).toMatch(/cn-hangzhou: Failed \(account 2000000000000002 could not be reached/);
    expect(text).toContain('  left out 1234567890123456: the management account (add --include-management)');
    expect(text).toContain('failures by code: Forbidden.Lock 1, NoPermission 2');
    expect(text).not.toContain('next:');
  });
});

describe('runOrganization', () => {
  it('a member throttled for now stays unfinished (never Failed) and the next resume completes it', async () => {
    const store = new MemoryStore();
    const clock = new SteppingClock(Date.UTC(2026, 10, 22, 12));
    let throttled = true;
    const deps: OrganizationDeps = {
      store,
      clock,
      random: () => 0.5,
      logger: silentLogger,
      accountDeps: async () => {
        if (throttled)
          throw new CloudApiError({
            action: 'AssumeRole',
            code: 'Throttling.User',
            message: 'later',
            retryable: true,
          });
        return () => ({
          ecs: new FakeEcs(fleet(3)),
          ram: new FakeRam(),
          store,
          clock,
          random: () => 0.5,
          logger: silentLogger,
        });
      },
    };
    const planned = await createOrganization(
      {
        input: { kind: 'sweep', request: { regions: ['cn-hangzhou'], role: 'EcsAppRole' }, settings: {} },
        origin: 'sweep',
        accounts: [record.accounts[0]!],
        leftOut: [],
      },
      deps,
    );
    const first = await runOrganization(planned.organizationId, deps);
    expect(first.status).toBe('Running');
    expect(first.accounts[0]!.regions[0]).toMatchObject({
      status: 'Pending',
      reason: expect.stringMatching(/^not started yet/),
    });
    throttled = false;
    const resumed = await runOrganization(planned.organizationId, deps, { action: 'continue' });
    expect(resumed.status).toBe('Success');
    expect(resumed.totals).toMatchObject({ targets: 3, attached: 3 });
  });
});

describe('childParameters of a parent stored by an earlier release', () => {
  it('reads the amounts the CLI stored as typed ("50", " 10% ") as the amounts they meant', () => {
    // The stored form of `sweep --accounts all --max-targets 50 --rate-control '{"Batch":["2"," 10% "]}'`.
    const stored = JSON.parse(
      '{"kind":"sweep","request":{"regions":["cn-hangzhou"],"role":"EcsAppRole","maxTargets":"50",' +
        '"rateControl":{"Batch":["2"," 10% "],"MaxErrors":"1"}},"settings":{}}',
    );
    const parameters = childParameters(stored, 'cn-hangzhou');
    expect(parameters.maxTargets).toBe(50);
    expect(parameters.rateControl).toEqual({
      Mode: 'Batch',
      Batch: [2, '10%'],
      ConcurrencyInBatches: 100,
      BatchPauseOption: 'Automatic',
      MaxErrors: 1,
    });
  });
});
