/**
 * A retried Plan (CloudFlow retries the task after an FC error) must not leave a second, orphaned
 * execution: the execution id derives from the flow execution's name.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHandler } from '../../../functions/workflow/index';
import type { EmulatorHandle } from '../../../src/emulator';
import { openExecutionStore } from '../../../src/store';
import { DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';
import { asFcEvent } from '../../helpers/events';
import { CapturingLogger, fcContext, SteppingClock, setFunctionEnv } from '../../helpers/fcContext';

let emulator: EmulatorHandle;
let state: string;
let restoreEnv: () => void;
beforeAll(async () => {
  emulator = await startTestEmulator();
  state = await fs.mkdtemp(path.join(os.tmpdir(), 'era-plan-'));
  restoreEnv = setFunctionEnv(emulator, {
    RAM_ROLE_NAME: DESIGNATED_ROLE,
    STATE: state,
    LOG_LEVEL: 'silent',
  });
});
afterAll(async () => {
  restoreEnv();
  await emulator.close();
  await fs.rm(state, { recursive: true, force: true });
});

it('planning twice under one flow execution name stores one execution', async () => {
  const handler = createHandler({ clock: new SteppingClock(), logger: new CapturingLogger() });
  const plan = {
    action: 'plan',
    executionName: 'a1b2c3-retried',
    params: { regionId: 'cn-shanghai', RamRoleName: DESIGNATED_ROLE, targets: { Type: 'All' } },
  };
  const context = () => fcContext(emulator, { functionName: 'ecs-role-attach-workflow' });
  const first = (await handler(asFcEvent(plan), context())) as { executionId: string };
  const second = (await handler(asFcEvent(plan), context())) as { executionId: string };
  expect(first.executionId).toBe('flow-a1b2c3-retried');
  expect(second.executionId).toBe(first.executionId);
  expect(await openExecutionStore(state).list()).toHaveLength(1);
  const other = { ...plan, params: { ...plan.params, RamRoleName: 'OtherEcsRole' } };
  await expect(handler(asFcEvent(other), context())).rejects.toThrow(
    /was already used for execution flow-a1b2c3-retried/,
  );
  expect(await openExecutionStore(state).list()).toHaveLength(1);
  await expect(handler(asFcEvent({ ...plan, executionName: '../escape' }), context())).rejects.toThrow(
    /executionName must be a CloudFlow execution name/,
  );
});
