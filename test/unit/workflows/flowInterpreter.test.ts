import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  construct,
  evaluateCondition,
  type FlowHandler,
  FlowInterpreter,
  UnsupportedFlowError,
} from '../../helpers/flowInterpreter';

const bulkAttach = readFileSync(join(__dirname, '../../../workflows/bulk-attach.yaml'), 'utf8');

/**
 * A toy `workflow` function: an execution of `steps` steps; a step listed in `pauseAt` ends Waiting,
 * `failAt` ends Failed. `control` decisions arrive through the interpreter's callback API.
 */
function toyWorkflow(options: { steps: number; pauseAt?: number[]; failAt?: number }) {
  const calls: Record<string, unknown>[] = [];
  const executions = new Map<string, { done: number; status: string; token?: string; decision?: string }>();
  const handler: FlowHandler = async (event, context) => {
    expect(Buffer.isBuffer(event)).toBe(true);
    expect(context['function']).toEqual(expect.objectContaining({ name: 'ecs-role-attach-workflow' }));
    const body = JSON.parse(event.toString('utf8')) as Record<string, unknown>;
    calls.push(body);
    const counts = (id: string) => ({ total: options.steps, done: executions.get(id)!.done });
    switch (body['action']) {
      case 'plan': {
        const id = `exec-${(body['params'] as { RamRoleName: string }).RamRoleName}`;
        executions.set(id, { done: 0, status: 'Running' });
        return { executionId: id, status: 'Running', counts: counts(id) };
      }
      case 'step': {
        const id = body['executionId'] as string;
        const execution = executions.get(id)!;
        if (execution.decision === 'cancel') execution.status = 'Cancelled';
        else {
          execution.done += 1;
          execution.status =
            execution.done === options.failAt
              ? 'Failed'
              : (options.pauseAt ?? []).includes(execution.done) && execution.decision === undefined
                ? 'Waiting'
                : execution.done >= options.steps
                  ? 'Success'
                  : 'Running';
          if (execution.status !== 'Waiting') delete execution.decision;
        }
        // FC hands back whatever the function returns; return a JSON string to check parsing.
        return JSON.stringify({ executionId: id, status: execution.status, counts: counts(id) });
      }
      case 'await': {
        const execution = executions.get(body['executionId'] as string)!;
        execution.token = body['taskToken'] as string;
        return { executionId: body['executionId'], status: 'Waiting' };
      }
      default:
        throw new Error(`unknown action ${String(body['action'])}`);
    }
  };
  return { handler, calls, executions };
}

const input = {
  regionId: 'cn-hangzhou',
  RamRoleName: 'EcsInstanceRole',
  targets: { Type: 'All' },
  rateControl: { Mode: 'Concurrency', Concurrency: 10 },
  mode: 'FailurePause',
};

describe('FlowInterpreter on workflows/bulk-attach.yaml', () => {
  it('finds the functions the flow invokes', () => {
    const flow = new FlowInterpreter(bulkAttach, { handlers: {} });
    expect(flow.invokedFunctions()).toEqual(['ecs-role-attach-workflow']);
  });

  it('runs plan -> step x3 -> Done and keeps the state small', async () => {
    const toy = toyWorkflow({ steps: 3 });
    const flow = new FlowInterpreter(bulkAttach, { handlers: { 'ecs-role-attach-workflow': toy.handler } });
    const outcome = await flow.start(input, 'toy-run');
    expect(outcome).toMatchObject({
      status: 'Succeeded',
      output: { executionId: 'exec-EcsInstanceRole', status: 'Success', counts: { total: 3, done: 3 } },
    });
    expect(toy.calls.map((c) => c['action'])).toEqual(['plan', 'step', 'step', 'step']);
    expect(toy.calls[0]).toEqual({ action: 'plan', params: input, executionName: 'toy-run' });
    expect(outcome.history.map((h) => h.state)).toEqual([
      'Plan',
      'Step',
      'Route',
      'Step',
      'Route',
      'Step',
      'Route',
      'Done',
    ]);
    for (const event of outcome.history) expect(JSON.stringify(event.output ?? {}).length).toBeLessThan(200);
  });

  it('pauses in Await with a task token and resumes on ReportTaskSucceeded', async () => {
    const toy = toyWorkflow({ steps: 3, pauseAt: [1] });
    const flow = new FlowInterpreter(bulkAttach, { handlers: { 'ecs-role-attach-workflow': toy.handler } });
    const run = flow.start(input);
    const pending = await flow.nextCallback();
    expect(pending).toMatchObject({
      stateName: 'Await',
      body: { action: 'await', executionId: 'exec-EcsInstanceRole' },
    });
    expect(toy.executions.get('exec-EcsInstanceRole')?.token).toBe(pending.taskToken);
    expect(flow.pendingCallbacks()).toHaveLength(1);
    // The operator's control action records the decision, then reports the callback.
    toy.executions.get('exec-EcsInstanceRole')!.decision = 'continue';
    flow.reportTaskSucceeded(pending.taskToken, { executionId: 'exec-EcsInstanceRole', action: 'continue' });
    const outcome = await run;
    expect(outcome.status).toBe('Succeeded');
    expect(toy.calls.map((c) => c['action'])).toEqual(['plan', 'step', 'await', 'step', 'step']);
    expect(flow.pendingCallbacks()).toEqual([]);
  });

  it('ends in ExecutionCancelled after a cancel decision', async () => {
    const toy = toyWorkflow({ steps: 3, pauseAt: [1] });
    const flow = new FlowInterpreter(bulkAttach, { handlers: { 'ecs-role-attach-workflow': toy.handler } });
    const run = flow.start(input);
    const pending = await flow.nextCallback();
    toy.executions.get('exec-EcsInstanceRole')!.decision = 'cancel';
    flow.reportTaskSucceeded(pending.taskToken, '{"action":"cancel"}');
    await expect(run).resolves.toMatchObject({ status: 'Failed', error: 'ExecutionCancelled' });
  });

  it('ends in ExecutionFailed when a step reports Failed', async () => {
    const toy = toyWorkflow({ steps: 3, failAt: 2 });
    const flow = new FlowInterpreter(bulkAttach, { handlers: { 'ecs-role-attach-workflow': toy.handler } });
    await expect(flow.start(input)).resolves.toMatchObject({ status: 'Failed', error: 'ExecutionFailed' });
  });

  it('a failure reported on the callback (or its expiry) re-runs Await with a fresh token (FnF.ALL)', async () => {
    const toy = toyWorkflow({ steps: 3, pauseAt: [1] });
    const flow = new FlowInterpreter(bulkAttach, { handlers: { 'ecs-role-attach-workflow': toy.handler } });
    const run = flow.start(input);
    const first = await flow.nextCallback();
    flow.reportTaskFailed(first.taskToken, 'Operator.Rejected', 'no');
    const second = await flow.nextCallback();
    expect(second.stateName).toBe('Await');
    expect(second.taskToken).not.toBe(first.taskToken);
    expect(toy.executions.get('exec-EcsInstanceRole')?.token).toBe(second.taskToken);
    toy.executions.get('exec-EcsInstanceRole')!.decision = 'cancel';
    flow.reportTaskSucceeded(second.taskToken, '{"action":"cancel"}');
    await expect(run).resolves.toMatchObject({ status: 'Failed', error: 'ExecutionCancelled' });
  });

  it('fails with FC.Unhandled when the function throws, and with FC.FunctionNotFound without a handler', async () => {
    const throwing = new FlowInterpreter(bulkAttach, {
      handlers: { 'ecs-role-attach-workflow': async () => Promise.reject(new Error('boom')) },
    });
    await expect(throwing.start(input)).resolves.toMatchObject({
      status: 'Failed',
      error: 'FC.Unhandled',
      cause: 'boom',
    });
    const missing = new FlowInterpreter(bulkAttach, { handlers: {} });
    await expect(missing.start(input)).resolves.toMatchObject({
      status: 'Failed',
      error: 'FC.FunctionNotFound',
    });
  });

  it('rejects a report for an unknown token', () => {
    const flow = new FlowInterpreter(bulkAttach, { handlers: {} });
    expect(() => flow.reportTaskSucceeded('token-x', '{}')).toThrow('not pending');
  });
});

describe('FlowInterpreter semantics', () => {
  const arn = 'acs:fc:cn-hangzhou:123:functions/toy/LATEST';
  const task = (extra: Record<string, unknown>) => ({
    Type: 'Task',
    Name: 'T',
    Action: 'FC:InvokeFunction',
    TaskMode: 'RequestComplete',
    Parameters: { resourceArn: arn, invocationType: 'Sync', body: { 'n.$': '$Input.n' } },
    End: true,
    ...extra,
  });
  const machine = (...states: Record<string, unknown>[]) => ({
    Type: 'StateMachine',
    Name: 'toy',
    SpecVersion: 'v1',
    StartAt: String(states[0]?.['Name']),
    States: states,
  });

  it('retries matching errors with backoff (virtual time) and then succeeds', async () => {
    let calls = 0;
    const delays: number[] = [];
    const handler: FlowHandler = async () => {
      calls += 1;
      if (calls < 4) throw new Error('throttled');
      return { ok: true };
    };
    const flow = new FlowInterpreter(
      machine(
        task({
          Retry: [
            {
              Errors: ['FC.Unhandled'],
              MaxAttempts: 3,
              IntervalSeconds: 2,
              BackoffRate: 2,
              MaxBackoffSeconds: 5,
            },
          ],
          OutputConstructor: { 'ok.$': '$Output.Body.ok' },
        }),
      ),
      { handlers: { toy: handler }, onRetryDelay: (seconds) => delays.push(seconds) },
    );
    await expect(flow.start({ n: 1 })).resolves.toMatchObject({ status: 'Succeeded', output: { ok: true } });
    expect(delays).toEqual([2, 4, 5]);
  });

  it('gives up after MaxAttempts', async () => {
    const flow = new FlowInterpreter(machine(task({ Retry: [{ Errors: ['FnF.ALL'], MaxAttempts: 2 }] })), {
      handlers: { toy: async () => Promise.reject(new Error('down')) },
    });
    const outcome = await flow.start({ n: 1 });
    expect(outcome).toMatchObject({ status: 'Failed', error: 'FC.Unhandled' });
  });

  it('applies InputConstructor, Pass and literal members', async () => {
    const seen: unknown[] = [];
    const flow = new FlowInterpreter(
      machine(
        { Type: 'Pass', Name: 'P', InputConstructor: { 'n.$': '$Input.deep.n', fixed: 'yes' }, Next: 'T' },
        task({ OutputConstructor: { 'echo.$': '$Output.Body', 'exec.$': '$Context.Execution.Name' } }),
      ),
      {
        handlers: {
          toy: async (event) => {
            seen.push(JSON.parse(event.toString()));
            return 'plain text';
          },
        },
      },
    );
    const outcome = await flow.start({ deep: { n: 7 } }, 'my-exec');
    expect(seen).toEqual([{ n: 7 }]);
    expect(outcome).toMatchObject({ status: 'Succeeded', output: { echo: 'plain text', exec: 'my-exec' } });
  });

  it('stops endless loops', async () => {
    const flow = new FlowInterpreter(
      machine({ Type: 'Pass', Name: 'A', Next: 'B' }, { Type: 'Pass', Name: 'B', Next: 'A' }),
      { handlers: {}, maxTransitions: 50 },
    );
    await expect(flow.start({})).resolves.toMatchObject({
      status: 'Failed',
      error: 'Interpreter.TooManyTransitions',
    });
  });

  it.each([
    ['an unsupported state type', machine({ Type: 'Parallel', Name: 'X', Branches: [], End: true })],
    ['an unknown key', machine({ Type: 'Pass', Name: 'X', Result: 1, End: true })],
    [
      'a Choice without Default',
      machine({ Type: 'Choice', Name: 'X', Branches: [{ Condition: '$Input.a == 1', Next: 'X' }] }),
    ],
    ['a dangling Next', machine({ Type: 'Pass', Name: 'X', Next: 'Nowhere' })],
    ['another Action', machine(task({ Action: 'MNS:SendMessage' }))],
    ['async invocation', machine(task({ Parameters: { resourceArn: arn, invocationType: 'Async' } }))],
    [
      'an FC 2.0 service ARN',
      machine(
        task({ Parameters: { resourceArn: 'acs:fc:::services/s/functions/f', invocationType: 'Sync' } }),
      ),
    ],
    ['a Fail without Detail', machine({ Type: 'Fail', Name: 'X', Code: 'C' })],
    [
      'a compound condition',
      machine({
        Type: 'Choice',
        Name: 'X',
        Branches: [{ Condition: '$Input.a == 1 && $Input.b == 2', Next: 'X' }],
        Default: 'X',
      }),
    ],
  ])('rejects %s when built', (_label, definition) => {
    expect(() => new FlowInterpreter(definition, { handlers: {} })).toThrow(UnsupportedFlowError);
  });
});

describe('expressions', () => {
  it('builds nested templates and arrays', () => {
    expect(
      construct(
        { a: { 'b.$': '$Input.x[1]' }, list: [{ 'c.$': '$Context.Current.TaskToken' }] },
        {
          $Input: { x: [1, 2] },
          $Context: { Current: { TaskToken: 't' } },
        },
      ),
    ).toEqual({ a: { b: 2 }, list: [{ c: 't' }] });
  });

  it('treats a missing member as an error in constructors and as false in conditions', () => {
    expect(() => construct({ 'a.$': '$Input.nope' }, { $Input: {} })).toThrow('nope is missing');
    expect(evaluateCondition('$Input.nope == "x"', { $Input: {} })).toBe(false);
  });

  it.each([
    ['$Input.status == "Running"', { status: 'Running' }, true],
    ['$Input.status != "Running"', { status: 'Running' }, false],
    ['$Input.n >= 3', { n: 3 }, true],
    ['$Input.n < 3', { n: 3 }, false],
    ['$Input.n > 3', { n: '4' }, false],
  ])('%s on %j is %s', (condition, value, expected) => {
    expect(evaluateCondition(condition, { $Input: value })).toBe(expected);
  });
});
