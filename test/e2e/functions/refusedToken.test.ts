/**
 * A workflow that no longer waits (its CloudFlow execution was stopped or timed out) must not block an
 * operator: when CloudFlow refuses the stored task token, the CLI's decision stands, the token is
 * dropped, and the CLI drives the execution itself.
 */

import { createHandler } from '../../../functions/workflow/index';
import { openExecutionStore } from '../../../src/store';
import { runCli, useEmulatorCredentials } from '../../helpers/cli';
import { SteppingClock } from '../../helpers/clocks';
import { DESIGNATED_ROLE } from '../../helpers/emulator';
import { asFcEvent } from '../../helpers/events';
import { CapturingLogger, fcContext, functionWorld } from '../../helpers/fcContext';

describe('a refused task token', () => {
  const world = functionWorld();

  it('is dropped, and the CLI drives the execution on', async () => {
    const { emulator, state } = world;
    const workflow = createHandler({ clock: new SteppingClock(), logger: new CapturingLogger() });
    const invoke = (body: unknown) =>
      workflow(
        asFcEvent(body),
        fcContext(emulator, { functionName: 'ecs-role-attach-workflow' }),
      ) as Promise<{
        executionId: string;
        status: string;
      }>;
    const planned = await invoke({
      action: 'plan',
      params: {
        regionId: 'cn-shanghai',
        RamRoleName: DESIGNATED_ROLE,
        targets: { Type: 'All' },
        rateControl: { Mode: 'Batch', Batch: [1, 1], BatchPauseOption: 'FirstBatchPause' },
      },
    });
    expect(await invoke({ action: 'step', executionId: planned.executionId })).toMatchObject({
      status: 'Waiting',
    });
    await invoke({ action: 'await', executionId: planned.executionId, taskToken: 'tok-of-a-stopped-flow' });
    emulator.revokeTaskTokens(['tok-of-a-stopped-flow']);

    useEmulatorCredentials();
    const result = await runCli([
      'resume',
      planned.executionId,
      '--state',
      state,
      '--endpoint',
      emulator.endpoint,
      '--output',
      'json',
      '--quiet',
    ]);
    expect(result.stderr).toMatch(
      /CloudFlow refused the stored task token .*TaskTokenInvalid.*drives the execution itself/,
    );
    expect(result.code).toBe(0);
    expect(result.json()).toMatchObject({ status: 'Success', counts: { attached: 4, pending: 0 } });
    const { record } = await openExecutionStore(state).load(planned.executionId);
    expect(record.taskToken).toBeUndefined();
    for (const id of ['i-sh01', 'i-sh02', 'i-sh03', 'i-sh04']) {
      expect(emulator.instances().find((i) => i.InstanceId === id)?.RamRoleName).toBe(DESIGNATED_ROLE);
    }
  });
});
