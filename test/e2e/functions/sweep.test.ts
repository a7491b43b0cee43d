/**
 * The `sweep` FC handler invoked as FC would (Buffer timer event, realistic context) against the
 * emulator: compliance report, one structured summary line, no overlap, bad payload rejected with
 * zero calls.
 */
import { createHandler } from '../../../functions/sweep/index';
import type { EmulatorHandle } from '../../../src/emulator/index';
import { type OrganizationReport, RULES_LABEL, type SweepReport } from '../../../src/engine/index';
import { sweepLockName } from '../../../src/engine/paths/sweep';
import type { Logger } from '../../../src/engine/ports';
import type { ReportDocument } from '../../../src/report/index';
import { FsExecutionStore } from '../../../src/store/index';
import { fleetId, tempState } from '../../helpers/cli';
import { csvObjects } from '../../helpers/csv';
import {
  admin,
  DESIGNATED_ROLE,
  startTestEmulator,
  TEST_ACCOUNT_ID,
  TEST_CREDENTIALS,
} from '../../helpers/emulator';

import { timerEvent } from '../../helpers/events';
import { MEMBER_IDS, organizationFleet } from '../../helpers/organization';
import { expectedRole, expectedRule, RULE_ROLES, RULES, teamsFleet } from '../../helpers/rulesFleet';
import { sourcesFleet } from '../../helpers/sourcesFleet';

let emulator: EmulatorHandle | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

function recordingLogger(): Logger & { lines: { obj: object; msg?: string }[] } {
  const lines: { obj: object; msg?: string }[] = [];
  const push = (obj: object, msg?: string) => {
    lines.push(msg === undefined ? { obj } : { obj, msg });
  };
  return { lines, info: push, warn: push, error: push, debug: () => {} };
}

function env(state: string): Record<string, string> {
  return {
    RAM_ROLE_NAME: DESIGNATED_ROLE,
    STATE: state,
    ENDPOINT_OVERRIDE: emulator!.endpoint,
    FC_ACCOUNT_ID: TEST_ACCOUNT_ID,
    FC_REGION: 'cn-hangzhou',
    ALIBABA_CLOUD_ACCESS_KEY_ID: TEST_CREDENTIALS.plain.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: TEST_CREDENTIALS.plain.accessKeySecret,
  };
}

const context = {
  requestId: 'c7a4f6a0-1b2c-4d5e-8f90-1234567890ab',
  accountId: TEST_ACCOUNT_ID,
  region: 'cn-hangzhou',
  function: { name: 'sweep', timeout: 600 },
};

function buffer(payload: unknown): Buffer {
  return Buffer.from(JSON.stringify(timerEvent(payload)));
}

async function calls(): Promise<Record<string, number>> {
  return (await admin<{ calls: Record<string, number> }>(emulator!, '/_emulator/stats')).body.calls;
}

describe('sweep handler', () => {
  beforeAll(() => {
    // The credentials chain reads the env passed to the runtime; keep it off IMDS and CLI profiles.
    process.env['ALIBABA_CLOUD_ECS_METADATA_DISABLED'] = 'true';
    process.env['ALIBABA_CLOUD_CLI_PROFILE_DISABLED'] = 'true';
    process.env['ALIBABA_CLOUD_ACCESS_KEY_ID'] = TEST_CREDENTIALS.plain.accessKeyId;
    process.env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] = TEST_CREDENTIALS.plain.accessKeySecret;
  });

  it('sweeps every region of the payload and logs one compliance line', async () => {
    emulator = await startTestEmulator();
    const logger = recordingLogger();
    const state = tempState();
    const handler = createHandler({ env: env(state), logger });
    const report = (await handler(
      buffer({
        regions: ['cn-hangzhou', 'cn-shanghai'],
        role: DESIGNATED_ROLE,
        rateControl: { Mode: 'Concurrency', Concurrency: 100, MaxErrors: 5 },
      }),
      context,
    )) as SweepReport;
    expect(report.regions.map((r) => [r.regionId, r.compliant, r.attachedNow, r.failed.length])).toEqual([
      ['cn-hangzhou', 1, 2, 1],
      ['cn-shanghai', 0, 4, 0],
    ]);
    const summary = logger.lines.filter((line) => line.msg === 'sweep compliance');
    expect(summary).toHaveLength(1);
    expect(summary[0]!.obj).toMatchObject({
      triggerName: 'sweep',
      role: DESIGNATED_ROLE,
      totals: { evaluated: 10, compliantAfter: 7, failed: 1 },
      regions: [
        {
          regionId: 'cn-hangzhou',
          compliant: 1,
          attachedNow: 2,
          skipped: { OtherRole: 1, ClassicNetwork: 1 },
          failed: 1,
        },
        { regionId: 'cn-shanghai', attachedNow: 4 },
      ],
    });
    expect(JSON.stringify(logger.lines)).not.toContain(TEST_CREDENTIALS.plain.accessKeySecret);

    // Each region's execution left its reports in the state store, matching what the sweep found.
    const store = new FsExecutionStore(state);
    for (const region of report.regions) {
      const id = region.executionId!;
      const rows = csvObjects((await store.getReport(`${id}.csv`))!);
      const world = emulator.instances(region.regionId).map((i) => i.InstanceId);
      expect(rows.map((r) => r.instance).sort()).toEqual([...world].sort());
      const count = (outcome: string) => rows.filter((r) => r.outcome === outcome).length;
      expect([count('AlreadyAttached'), count('Attached'), count('Failed')]).toEqual([
        region.compliant,
        region.attachedNow,
        region.failed.length,
      ]);
      for (const failed of region.failed) {
        expect(rows.find((r) => r.instance === failed.instanceId)).toMatchObject({
          outcome: 'Failed',
          reason: failed.code,
        });
      }
      const json = JSON.parse((await store.getReport(`${id}.json`))!) as ReportDocument;
      expect(json).toMatchObject({ kind: 'execution', id, status: region.status });
      expect(json.instances).toHaveLength(rows.length);
      const page = (await store.getReport(`${id}.html`))!;
      expect(page.startsWith('<!doctype html>')).toBe(true);
      expect(page).toContain(`<title>ecs-role-attach report: ${id}</title>`);
    }
  });

  it('a payload with role rules gives each instance its rule role and logs compliance per rule', async () => {
    emulator = await startTestEmulator({ fleet: teamsFleet() });
    const logger = recordingLogger();
    const handler = createHandler({ env: env(tempState()), logger });
    // The rules document as YAML text inside the JSON payload, as a timer trigger would carry it.
    const report = (await handler(
      buffer({ regions: ['cn-hangzhou'], rules: RULES }),
      context,
    )) as SweepReport;
    expect(report.role).toBe(RULES_LABEL);
    for (let index = 0; index < 60; index++) {
      const instance = emulator.instances('cn-hangzhou').find((i) => i.InstanceId === fleetId(index));
      expect([fleetId(index), instance?.RamRoleName]).toEqual([fleetId(index), expectedRole(index)]);
    }
    const region = report.regions[0]!;
    expect(region.byRule?.map((r) => [r.rule, r.role, r.evaluated, r.compliantAfter])).toEqual(
      RULE_ROLES.map(([rule, role]) => {
        const count = Array.from({ length: 60 }, (_, i) => i).filter((i) => expectedRule(i) === rule).length;
        return [rule, role, count, count];
      }),
    );
    expect(region).toMatchObject({ accepted: 1, skipped: { NoRule: [56, 57, 58, 59].map(fleetId) } });
    const summary = logger.lines.find((line) => line.msg === 'sweep compliance')!.obj as {
      regions: { byRule?: unknown }[];
    };
    expect(summary.regions[0]?.byRule).toEqual(region.byRule);
  });

  it('refuses a payload with a bad rules document naming the rule and field, with zero calls', async () => {
    emulator = await startTestEmulator({ fleet: teamsFleet() });
    const handler = createHandler({ env: env(tempState()), logger: recordingLogger() });
    await expect(
      handler(
        buffer({ regions: ['cn-hangzhou'], rules: RULES.replace('role: WebAppRole', "role: ''") }),
        context,
      ),
    ).rejects.toThrow(/payload\.rules\.rules\[1\]\.role of rule "web" is required/);
    await expect(
      handler(buffer({ regions: ['cn-hangzhou'], role: DESIGNATED_ROLE, rules: RULES }), context),
    ).rejects.toThrow(/payload\.rules and payload\.role exclude each other/);
    expect(await calls()).toEqual({});
  });

  it('never overlaps a sweep that holds the lock', async () => {
    emulator = await startTestEmulator();
    const state = tempState();
    await new FsExecutionStore(state).tryLock(
      sweepLockName('cn-shanghai', DESIGNATED_ROLE),
      'other',
      600_000,
    );
    const handler = createHandler({ env: env(state), logger: recordingLogger() });
    const report = (await handler(
      buffer({ regions: ['cn-shanghai'], role: DESIGNATED_ROLE }),
      context,
    )) as SweepReport;
    expect(report.regions[0]).toMatchObject({ state: 'locked', attachedNow: 0 });
    expect((await calls())['AttachInstanceRamRole'] ?? 0).toBe(0);
  });

  it('rejects a bad payload naming the field, with zero calls', async () => {
    emulator = await startTestEmulator();
    const handler = createHandler({ env: env(tempState()), logger: recordingLogger() });
    await expect(
      handler(buffer({ regions: ['cn-hangzhou'], role: DESIGNATED_ROLE, colour: 'red' }), context),
    ).rejects.toThrow(/payload\.colour/);
    await expect(
      handler(
        buffer({
          regions: ['cn-hangzhou'],
          role: DESIGNATED_ROLE,
          rateControl: { Mode: 'Batch', Batch: ['abc'] },
        }),
        context,
      ),
    ).rejects.toThrow(/rateControl/);
    expect(await calls()).toEqual({});
  });
});

describe('sweep handler at organization scope', () => {
  it('a payload naming accounts sweeps every member and region as one parent execution', async () => {
    emulator = await startTestEmulator({ fleet: organizationFleet() });
    const logger = recordingLogger();
    const state = tempState();
    const handler = createHandler({ env: env(state), logger });
    const report = (await handler(
      buffer({
        regions: ['cn-hangzhou', 'cn-beijing'],
        role: DESIGNATED_ROLE,
        accounts: 'all',
        excludeAccounts: [MEMBER_IDS[2]],
      }),
      context,
    )) as OrganizationReport;
    expect(report.status).toBe('Success');
    expect(report.totals).toMatchObject({ accounts: 2, children: 4, alreadyAttached: 4, attached: 8 });
    // Each child reports its sources, read with its member's credentials (every instance in normal mode).
    for (const account of report.accounts) {
      for (const child of account.regions) {
        expect(child.sources?.normalMetadataMode).toEqual(
          emulator
            .instances(child.regionId, account.accountId)
            .map((i) => i.InstanceId)
            .sort(),
        );
      }
    }
    expect(report.leftOut.map((l) => l.reason)).toEqual([
      'the management account (add --include-management)',
      'excluded',
    ]);
    for (const accountId of MEMBER_IDS.slice(0, 2)) {
      const lacking = emulator
        .instances(undefined, accountId)
        .filter((i) => i.RegionId !== 'cn-shanghai' && i.RamRoleName !== DESIGNATED_ROLE);
      expect(lacking).toEqual([]);
    }
    expect(emulator.instances(undefined, MEMBER_IDS[2]).every((i) => i.AttachCount === 0)).toBe(true);
    expect(emulator.crossAccountAttempts()).toEqual([]);
    expect(logger.lines.find((l) => l.msg === 'organization sweep compliance')?.obj).toMatchObject({
      organizationId: report.organizationId,
      status: 'Success',
    });
    // The parent's report in the state store: every swept member instance, each row with its account.
    const rows = csvObjects((await new FsExecutionStore(state).getReport(`${report.organizationId}.csv`))!);
    for (const accountId of MEMBER_IDS.slice(0, 2)) {
      const world = emulator
        .instances(undefined, accountId)
        .filter((i) => i.RegionId !== 'cn-shanghai')
        .map((i) => i.InstanceId);
      expect(
        rows
          .filter((r) => r.account === accountId)
          .map((r) => r.instance)
          .sort(),
      ).toEqual(world.sort());
    }
    expect(rows).toHaveLength(12);
  });

  it('refuses organization keys without accounts, and files, before any call', async () => {
    emulator = await startTestEmulator({ fleet: organizationFleet() });
    const handler = createHandler({ env: env(tempState()), logger: recordingLogger() });
    await expect(
      handler(buffer({ regions: ['cn-hangzhou'], role: DESIGNATED_ROLE, assumeRole: 'X' }), context),
    ).rejects.toThrow(/payload.assumeRole needs payload.accounts/);
    await expect(
      handler(buffer({ regions: ['cn-hangzhou'], role: DESIGNATED_ROLE, accounts: '@a.yaml' }), context),
    ).rejects.toThrow(/payload.accounts must be all, folder:<folderId> or account ids/);
    expect(await calls()).toEqual({});
  });
});

describe('sweep handler and the sources', () => {
  it('reports the sources per region, and remediates those the payload names in fix', async () => {
    emulator = await startTestEmulator({ fleet: sourcesFleet() });
    const handler = createHandler({ env: env(tempState()), logger: recordingLogger() });
    const report = (await handler(
      buffer({ regions: ['cn-hangzhou'], role: DESIGNATED_ROLE }),
      context,
    )) as SweepReport;
    expect(report.regions[0]!.sources).toMatchObject({
      launchTemplatesWithoutRole: ['lt-web', 'lt-legacy'],
      scalingConfigurationsWithoutRole: ['asc-worker2'],
      fixed: [],
    });
    expect(emulator.stats().calls['CreateLaunchTemplateVersion']).toBeUndefined();
    const fixed = (await createHandler({ env: env(tempState()), logger: recordingLogger() })(
      buffer({ regions: ['cn-hangzhou'], role: DESIGNATED_ROLE, fix: ['templates'] }),
      context,
    )) as SweepReport;
    expect(fixed.regions[0]!.sources!.fixed.map((f) => [f.fix, f.status, f.updated])).toEqual([
      ['templates', 'Success', 2],
    ]);
    expect(emulator.state.launchTemplates.get('lt-web')!.DefaultVersionNumber).toBe(4);
    await expect(
      handler(buffer({ regions: ['cn-hangzhou'], role: DESIGNATED_ROLE, fix: ['everything'] }), context),
    ).rejects.toThrow(/payload\.fix\[0\]/);
  });
});
