/**
 * `ecs-role-attach report <id> --format json|csv`: the export of executions run by the real CLI with the
 * real SDKs against the emulator, checked row by row against `status --output json` (the execution's own
 * report), against the plan's batches, and for a parent `org-…` against each member's instances.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmulatorHandle } from '../../../src/emulator/index';
import type { ExecutionReport, OrganizationReport, SweepReport } from '../../../src/engine/index';
import type { ReportDocument } from '../../../src/report/index';
import { CSV_COLUMNS } from '../../../src/report/index';
import {
  cliFleet,
  emulatorFlags,
  fleetId,
  runCli,
  tempState,
  useEmulatorCredentials,
} from '../../helpers/cli';
import { csvObjects, parseCsv } from '../../helpers/csv';
import { DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';
import { MEMBER_IDS, ORG_REGIONS, organizationFleet } from '../../helpers/organization';

let emulator: EmulatorHandle | undefined;
beforeAll(() => useEmulatorCredentials());
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** A message an outsider could shape: a formula, a comma, quotes and markup. */
const HOSTILE = '=HYPERLINK("http://evil.example","x"), <b>"quoted"</b>';

describe('ecs-role-attach report', () => {
  it('exports one row per instance with its batch, outcome, code and previous role, as the execution reports them', async () => {
    emulator = await startTestEmulator({
      fleet: cliFleet(30, {
        [fleetId(3)]: { RamRoleName: 'OtherEcsRole' },
        [fleetId(4)]: { RamRoleName: DESIGNATED_ROLE },
        [fleetId(5)]: { Tags: { 'ecs-role-attach:exclude': 'true' } },
      }),
      faults: {
        instanceErrors: {
          [fleetId(10)]: { Code: 'InvalidInstance.NotFound', Message: HOSTILE },
          [fleetId(20)]: 'InternalError.Forced',
        },
      },
    });
    const state = tempState();
    const flags = [...emulatorFlags(emulator, state), '--quiet'];
    const run = await runCli([
      'run',
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
      '--targets',
      '{"Type":"All"}',
      '--rate-control',
      '{"Mode":"Batch","Batch":[1,"25%"],"MaxErrors":5}',
      '--output',
      'json',
      ...flags,
    ]);
    const executed = run.json<ExecutionReport>();
    expect(executed.status).toBe('Success');
    expect(executed.counts).toMatchObject({
      total: 30,
      failed: 2,
      skipped: 2,
      alreadyAttached: 1,
      attached: 25,
    });
    const id = executed.executionId;

    const csv = await runCli(['report', id, '--format', 'csv', '--state', state]);
    expect(csv.stderr).toBe('');
    expect(csv.code).toBe(0);
    expect(parseCsv(csv.stdout)[0]).toEqual(CSV_COLUMNS.map(([name]) => name));
    const rows = csvObjects(csv.stdout);
    const status = (
      await runCli(['status', id, '--state', state, '--output', 'json'])
    ).json<ExecutionReport>();
    expect(rows.map((r) => r.instance)).toEqual(status.instances.map((i) => i.instanceId));
    for (const [index, row] of rows.entries()) {
      const instance = status.instances[index]!;
      expect(row).toMatchObject({
        account: '',
        region: 'cn-hangzhou',
        execution: id,
        role: DESIGNATED_ROLE,
        outcome: instance.outcome,
        reason: instance.reason ?? instance.code ?? '',
      });
    }
    const byId = new Map(rows.map((r) => [r.instance, r]));
    expect(byId.get(fleetId(10))).toMatchObject({
      outcome: 'Failed',
      reason: 'InvalidInstance.NotFound',
      message: `'${HOSTILE}`,
    });
    expect(byId.get(fleetId(20))).toMatchObject({ outcome: 'Failed', reason: 'InternalError.Forced' });
    expect(byId.get(fleetId(3))).toMatchObject({
      outcome: 'Skipped',
      reason: 'OtherRole',
      previousRole: 'OtherEcsRole',
      batch: '',
    });
    expect(byId.get(fleetId(4))).toMatchObject({
      outcome: 'AlreadyAttached',
      previousRole: DESIGNATED_ROLE,
      batch: '',
    });
    expect(byId.get(fleetId(5))).toMatchObject({ outcome: 'Skipped', reason: 'Excluded', batch: '' });
    // Batches as planned: a canary of 1, then 25% of the 27 instances needing a write (7 each, the last 5).
    const sizes = new Map<string, number>();
    for (const row of rows) if (row.batch) sizes.set(row.batch, (sizes.get(row.batch) ?? 0) + 1);
    expect([...sizes]).toEqual([
      ['1', 1],
      ['2', 7],
      ['3', 7],
      ['4', 7],
      ['5', 5],
    ]);
    expect(status.batches.map((b) => b.size)).toEqual([1, 7, 7, 7, 5]);

    const json = (await runCli(['report', id, '--format', 'json', '--state', state])).json<ReportDocument>();
    expect(json).toMatchObject({ kind: 'execution', id, status: 'Success', ramRoleName: DESIGNATED_ROLE });
    expect(json.totals).toEqual({ instances: 30, Attached: 25, AlreadyAttached: 1, Skipped: 2, Failed: 2 });
    expect(json.failuresByCode).toEqual([
      {
        code: 'InternalError.Forced',
        count: 1,
        message: `Injected fault InternalError.Forced for ${fleetId(20)}.`,
      },
      { code: 'InvalidInstance.NotFound', count: 1, message: HOSTILE },
    ]);
    const failedBatches = json.executions[0]!.batches.filter((b) => (b.outcomes.Failed ?? 0) > 0);
    expect(failedBatches.map((b) => b.number)).toEqual(
      [...new Set([byId.get(fleetId(10))!.batch, byId.get(fleetId(20))!.batch])].map(Number).sort(),
    );
    expect(json.instances).toHaveLength(30);
  });

  it('exports a parent org-… with every child, each row carrying its member account', async () => {
    emulator = await startTestEmulator({
      fleet: organizationFleet({
        2: { roles: [{ RoleName: DESIGNATED_ROLE, AssumeRolePolicyDocument: '{}' }] },
      }),
    });
    const state = tempState();
    const file = join(mkdtempSync(join(tmpdir(), 'era-org-report-')), 'org.csv');
    const swept = await runCli([
      'sweep',
      '--role',
      DESIGNATED_ROLE,
      '--region',
      ORG_REGIONS.join(','),
      '--accounts',
      'all',
      '--report',
      file,
      ...emulatorFlags(emulator, state),
      '--output',
      'json',
      '--quiet',
    ]);
    const parent = swept.json<OrganizationReport>();
    expect(parent.status).toBe('Failed');

    const csv = await runCli(['report', parent.organizationId, '--format', 'csv', '--state', state]);
    expect(csv.code).toBe(0);
    // sweep --accounts --report wrote the same export as `report <org-id>`.
    expect(readFileSync(file, 'utf8')).toBe(csv.stdout);
    const rows = csvObjects(csv.stdout);
    // Members 1 and 3 were swept (3 instances in each of 3 regions); member 2 could not be reached.
    for (const accountId of [MEMBER_IDS[0], MEMBER_IDS[2]]) {
      const mine = rows.filter((r) => r.account === accountId);
      expect(mine.map((r) => r.instance).sort()).toEqual(
        emulator
          .instances(undefined, accountId)
          .map((i) => i.InstanceId)
          .sort(),
      );
      for (const row of mine) {
        expect(row.execution).toBe(`${parent.organizationId}.${accountId}.${row.region}`);
        expect(row.outcome).toBe(row.instance!.endsWith('0') ? 'AlreadyAttached' : 'Attached');
      }
    }
    expect(rows.filter((r) => r.account === MEMBER_IDS[1])).toEqual([]);

    const json = (
      await runCli(['report', parent.organizationId, '--format', 'json', '--state', state])
    ).json<ReportDocument>();
    expect(json.kind).toBe('organization');
    expect(json.executions).toHaveLength(MEMBER_IDS.length * ORG_REGIONS.length);
    const unreachable = json.executions.filter((e) => e.accountId === MEMBER_IDS[1]);
    expect(unreachable.map((e) => [e.status, e.code])).toEqual(
      ORG_REGIONS.map(() => ['Failed', 'EntityNotExist.Role']),
    );
    expect(json.failuresByCode).toEqual([expect.objectContaining({ code: 'EntityNotExist.Role', count: 3 })]);
    expect(json.totals).toEqual({ instances: 18, Attached: 12, AlreadyAttached: 6 });
  });

  it('sweep --report writes the sweep of every region as CSV, HTML and JSON', async () => {
    emulator = await startTestEmulator();
    const state = tempState();
    const dir = mkdtempSync(join(tmpdir(), 'era-sweep-report-'));
    const files = ['sweep.csv', 'sweep.html', 'sweep.json'].map((name) => join(dir, name));
    const swept = await runCli([
      'sweep',
      '--region',
      'cn-hangzhou,cn-shanghai',
      '--role',
      DESIGNATED_ROLE,
      ...files.flatMap((file) => ['--report', file]),
      ...emulatorFlags(emulator, state),
      '--output',
      'json',
      '--quiet',
    ]);
    const sweep = swept.json<SweepReport>();
    const rows = csvObjects(readFileSync(files[0]!, 'utf8'));
    for (const region of sweep.regions) {
      const mine = rows.filter((r) => r.region === region.regionId);
      expect(mine.every((r) => r.execution === region.executionId)).toBe(true);
      expect(mine.map((r) => r.instance).sort()).toEqual(
        emulator
          .instances(region.regionId)
          .map((i) => i.InstanceId)
          .sort(),
      );
      expect(mine.filter((r) => r.outcome === 'Attached')).toHaveLength(region.attachedNow);
      expect(mine.filter((r) => r.outcome === 'AlreadyAttached')).toHaveLength(region.compliant);
    }
    const json = JSON.parse(readFileSync(files[2]!, 'utf8')) as ReportDocument;
    expect(json).toMatchObject({
      kind: 'sweep',
      id: DESIGNATED_ROLE,
      status: swept.code === 0 ? 'Success' : 'Failed',
    });
    expect(json.executions.map((e) => e.executionId)).toEqual(sweep.regions.map((r) => r.executionId));
    expect(json.instances).toHaveLength(rows.length);
    expect(readFileSync(files[1]!, 'utf8')).toContain(
      `<title>ecs-role-attach report: ${DESIGNATED_ROLE}</title>`,
    );
  });

  it('sweep --report refuses a name it cannot write before any call', async () => {
    emulator = await startTestEmulator();
    const flags = [...emulatorFlags(emulator, tempState()), '--quiet'];
    const sweep = (file: string) =>
      runCli(['sweep', '--region', 'cn-hangzhou', '--role', DESIGNATED_ROLE, '--report', file, ...flags]);
    const extension = await sweep(join(tmpdir(), 'sweep.xlsx'));
    expect(extension.code).toBe(2);
    expect(extension.stderr).toMatch(/--report must name a file ending in \.json, \.csv or \.html/);
    const directory = await sweep(join(tmpdir(), 'no-such-dir-era', 'sweep.csv'));
    expect(directory.code).toBe(2);
    expect(directory.stderr).toMatch(/--report must name a file in an existing, writable directory/);
    expect(emulator.stats().calls).toEqual({});
  });

  it('refuses an unknown format (exit 2) and names a missing execution (exit 1)', async () => {
    const state = tempState();
    const bad = await runCli(['report', 'exec-x', '--format', 'xlsx', '--state', state]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--format must be one of json, csv, html, got "xlsx"/);
    const missing = await runCli(['report', 'exec-20261122T231501Z-4f3a9c', '--state', state]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/exec-20261122T231501Z-4f3a9c/);
    expect(missing.stdout).toBe('');
  });
});
