/**
 * One exclusion rule on every function path, against the emulator: the default tag
 * `ecs-role-attach:exclude` always excludes, plus the deployment's `EXCLUDE_TAG`, plus the execution's
 * own excludeTags / excludeInstanceIds. Checked for the workflow plan, the sweep, the event path and the
 * resume-events backlog, with `EXCLUDE_TAG=team=ops`.
 */

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHandler as createEventHandler } from '../../../functions/on-instance-created/index';
import { createHandler as createSweepHandler } from '../../../functions/sweep/index';
import { createHandler as createWorkflowHandler } from '../../../functions/workflow/index';
import type { EmulatorHandle } from '../../../src/emulator';
import type { SweepReport } from '../../../src/engine/index';
import { eventPathKeys } from '../../../src/engine/paths/event/index';
import { openExecutionStore } from '../../../src/store';
import { SteppingClock } from '../../helpers/clocks';
import { DESIGNATED_ROLE, smallFleet, startTestEmulator } from '../../helpers/emulator';
import { asFcEvent, stateChangeEvent, timerEvent } from '../../helpers/events';
import { CapturingLogger, fcContext, setFunctionEnv } from '../../helpers/fcContext';

const REGION = 'cn-hangzhou';
/** Tagged with the deployment's EXCLUDE_TAG. */
const OPS = 'i-ops01';
/** Tagged with the default exclusion tag. */
const OPTED_OUT = 'i-opt01';
/** Tagged team=web: not excluded (EXCLUDE_TAG names team=ops, not the key alone). */
const WEB = 'i-web01';
/** Untagged. */
const PLAIN = 'i-plain01';
const ALL = [OPS, OPTED_OUT, WEB, PLAIN];
const DEFAULT_TAG = { key: 'ecs-role-attach:exclude' };

describe('exclusions on every function path', () => {
  let emulator: EmulatorHandle;
  let stateDir: string;
  let restoreEnv: (() => void) | undefined;
  const clock = new SteppingClock();

  const roleOf = (id: string) => emulator.instances().find((i) => i.InstanceId === id)?.RamRoleName;
  const attached = () => ALL.filter((id) => roleOf(id) === DESIGNATED_ROLE).sort();
  const context = (functionName: string) => fcContext(emulator, { functionName, region: REGION });
  const configure = (excludeTag: string | undefined) => {
    restoreEnv = setFunctionEnv(emulator, {
      RAM_ROLE_NAME: DESIGNATED_ROLE,
      STATE: stateDir,
      EXCLUDE_TAG: excludeTag,
      FC_ACCOUNT_ID: undefined,
      FC_REGION: undefined,
    });
  };

  beforeEach(async () => {
    const fleet = smallFleet();
    emulator = await startTestEmulator({
      fleet: {
        ...fleet,
        instances: [
          { InstanceId: OPS, RegionId: REGION, Tags: { team: 'ops' } },
          { InstanceId: OPTED_OUT, RegionId: REGION, Tags: { 'ecs-role-attach:exclude': 'true' } },
          { InstanceId: WEB, RegionId: REGION, Tags: { team: 'web' } },
          { InstanceId: PLAIN, RegionId: REGION },
        ],
      },
    });
    stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'era-excl-'));
  });
  afterEach(async () => {
    restoreEnv?.();
    restoreEnv = undefined;
    await emulator.close();
    await fs.rm(stateDir, { recursive: true, force: true });
  });

  it('workflow plan: EXCLUDE_TAG, the default tag and the execution’s own exclusions all apply', async () => {
    configure('team=ops');
    const handler = createWorkflowHandler({ clock, logger: new CapturingLogger() });
    const invoke = (body: unknown) => handler(asFcEvent(body), context('ecs-role-attach-workflow'));
    const planned = (await invoke({
      action: 'plan',
      params: {
        regionId: REGION,
        RamRoleName: DESIGNATED_ROLE,
        targets: { Type: 'ResourceIds', ResourceIds: ALL },
        rateControl: { Mode: 'Concurrency', Concurrency: 10, MaxErrors: 0 },
        mode: 'Automatic',
        excludeTags: ['keep-role'],
        excludeInstanceIds: [PLAIN],
      },
    })) as { executionId: string };
    const { record } = await openExecutionStore(stateDir).load(planned.executionId);
    expect(record.parameters.exclusions).toEqual({
      tags: [DEFAULT_TAG, { key: 'keep-role' }, { key: 'team', value: 'ops' }],
      instanceIds: [PLAIN],
    });

    const done = await invoke({ action: 'step', executionId: planned.executionId });
    expect(done).toMatchObject({ status: 'Success', counts: { attached: 1, skipped: 3 } });
    expect(attached()).toEqual([WEB]);
  });

  it('sweep: EXCLUDE_TAG and the default tag both exclude', async () => {
    configure('team=ops');
    const handler = createSweepHandler({ clock, logger: new CapturingLogger() });
    const report = (await handler(
      asFcEvent(timerEvent({ regions: [REGION], role: DESIGNATED_ROLE })),
      context('ecs-role-attach-sweep'),
    )) as SweepReport;
    expect(report.regions[0]).toMatchObject({ regionId: REGION, attachedNow: 2, failed: [] });
    expect([...(report.regions[0]!.skipped.Excluded ?? [])].sort()).toEqual([OPS, OPTED_OUT]);
    expect(attached()).toEqual([PLAIN, WEB]);
  });

  it('event path: EXCLUDE_TAG and the default tag both exclude', async () => {
    configure('team=ops');
    const handler = createEventHandler({ clock, logger: new CapturingLogger() });
    const result = await handler(
      asFcEvent(ALL.map((instanceId) => stateChangeEvent({ instanceId, regionId: REGION }))),
      context('ecs-role-attach-on-instance-created'),
    );
    expect(result.attached.sort()).toEqual([PLAIN, WEB]);
    expect(result.skipped.map((s) => [s.instanceId, s.reason]).sort()).toEqual([
      [OPS, 'Excluded'],
      [OPTED_OUT, 'Excluded'],
    ]);
    expect(attached()).toEqual([PLAIN, WEB]);
  });

  it('event path without EXCLUDE_TAG: the default tag still excludes, team=ops does not', async () => {
    configure(undefined);
    const handler = createEventHandler({ clock, logger: new CapturingLogger() });
    const result = await handler(
      asFcEvent(ALL.map((instanceId) => stateChangeEvent({ instanceId, regionId: REGION }))),
      context('ecs-role-attach-on-instance-created'),
    );
    expect(result.skipped.map((s) => s.instanceId)).toEqual([OPTED_OUT]);
    expect(attached()).toEqual([OPS, PLAIN, WEB]);
  });

  it('resume-events backlog: EXCLUDE_TAG and the default tag both exclude', async () => {
    configure('team=ops');
    const store = openExecutionStore(stateDir);
    const keys = eventPathKeys(REGION, DESIGNATED_ROLE);
    const now = new Date(clock.now()).toISOString();
    await store.putDocument(keys.breaker, { state: 'open', consecutiveFailures: 3, updatedAt: now });
    await store.putDocument(keys.backlog, { instanceIds: ALL, updatedAt: now });
    const handler = createWorkflowHandler({ clock, logger: new CapturingLogger() });
    const result = (await handler(
      asFcEvent({ action: 'resume-events', regionId: REGION }),
      context('ecs-role-attach-workflow'),
    )) as { backlog: number; execution: { executionId: string; status: string } };
    expect(result).toMatchObject({ backlog: 4, wasOpen: true, execution: { status: 'Success' } });
    const { record } = await store.load(result.execution.executionId);
    expect(record.parameters.exclusions.tags).toEqual([DEFAULT_TAG, { key: 'team', value: 'ops' }]);
    expect(attached()).toEqual([PLAIN, WEB]);
  });
});
