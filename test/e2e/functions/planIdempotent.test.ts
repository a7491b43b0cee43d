/**
 * A retried Plan (CloudFlow retries the task after an FC error) must not leave a second, orphaned
 * execution: the execution id derives from the flow execution's name.
 */

import { createHandler } from '../../../functions/workflow/index';
import { openExecutionStore } from '../../../src/store';
import { SteppingClock } from '../../helpers/clocks';
import { DESIGNATED_ROLE } from '../../helpers/emulator';
import { asFcEvent } from '../../helpers/events';
import { CapturingLogger, fcContext, functionWorld } from '../../helpers/fcContext';

const world = functionWorld();

it('planning twice under one flow execution name stores one execution', async () => {
  const handler = createHandler({ clock: new SteppingClock(), logger: new CapturingLogger() });
  const plan = {
    action: 'plan',
    executionName: 'a1b2c3-retried',
    params: { regionId: 'cn-shanghai', RamRoleName: DESIGNATED_ROLE, targets: { Type: 'All' } },
  };
  const context = () => fcContext(world.emulator, { functionName: 'ecs-role-attach-workflow' });
  const first = (await handler(asFcEvent(plan), context())) as { executionId: string };
  const second = (await handler(asFcEvent(plan), context())) as { executionId: string };
  expect(first.executionId).toBe('flow-a1b2c3-retried');
  expect(second.executionId).toBe(first.executionId);
  expect(await openExecutionStore(world.state).list()).toHaveLength(1);
  const other = { ...plan, params: { ...plan.params, RamRoleName: 'OtherEcsRole' } };
  await expect(handler(asFcEvent(other), context())).rejects.toThrow(
    /was already used for execution flow-a1b2c3-retried/,
  );
  expect(await openExecutionStore(world.state).list()).toHaveLength(1);
  await expect(handler(asFcEvent({ ...plan, executionName: '../escape' }), context())).rejects.toThrow(
    /executionName must be a CloudFlow execution name/,
  );
});
