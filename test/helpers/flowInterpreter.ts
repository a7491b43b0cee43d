/**
 * A small interpreter for exactly the CloudFlow FDL (SpecVersion v1) subset our flows use, so tests can
 * run workflows/*.yaml against local FC handlers without the cloud:
 *
 * - states: Task (`Action: FC:InvokeFunction`, `TaskMode: RequestComplete | WaitForCustomCallback`,
 *   `Retry`), Choice (`Branches[].Condition`, `Default`), Pass, Succeed, Fail;
 * - `InputConstructor`, `OutputConstructor` and `Parameters` with literal members and `<key>.$`
 *   expressions over `$Input`, `$Output`, `$Context` (`.key` and `[n]` paths only, no functions);
 * - Choice conditions `<path> <op> <literal>` with ==, !=, <, <=, >, >=.
 *
 * Anything else in a definition is rejected when the interpreter is built, so a flow cannot silently
 * use a feature the tests do not exercise. Semantics follow research/function-compute.md §3.1:
 * an FC result lands under `$Output.Body` (JSON-parsed); for WaitForCustomCallback `$Output` is the
 * (JSON-parsed) `Output` given to ReportTaskSucceeded; `$Context.Current.TaskToken` is the token.
 */
import { parse } from 'yaml';

/** Names of started executions, unique within the test process. */
let executionNames = 0;

/** An FC handler as the runtime calls it; the event is a Buffer of the JSON body. */
export type FlowHandler = (event: Buffer, context: Record<string, unknown>) => Promise<unknown>;

export interface FlowInterpreterOptions {
  /** Function name (from the resourceArn `functions/<name>/...`) -> handler. */
  handlers: Record<string, FlowHandler>;
  /** Builds the FC context passed to a handler; a realistic default is provided. */
  context?: (functionName: string, requestId: string) => Record<string, unknown>;
  /** Called with each Retry delay (seconds) instead of sleeping. */
  onRetryDelay?: (seconds: number, stateName: string) => void;
  /** Guard against endless loops. @default 10_000 */
  maxTransitions?: number;
}

export interface PendingCallback {
  executionName: string;
  stateName: string;
  taskToken: string;
  /** The body sent to the function (after `.$` resolution). */
  body: unknown;
}

export interface HistoryEvent {
  state: string;
  type: string;
  input: unknown;
  output?: unknown;
  error?: string;
}

export type FlowOutcome =
  | { status: 'Succeeded'; output: unknown; history: HistoryEvent[] }
  | { status: 'Failed'; error: string; cause: string; history: HistoryEvent[] };

/** An error a task raised, with the CloudFlow-style code Retry matches on (e.g. `FC.Unhandled`). */
export class FlowTaskError extends Error {
  public readonly code: string;
  public constructor(code: string, message: string) {
    super(message);
    this.name = 'FlowTaskError';
    this.code = code;
  }
}

/** The definition uses something this interpreter does not implement (or is malformed). */
export class UnsupportedFlowError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'UnsupportedFlowError';
  }
}

type State = Record<string, unknown> & { Type: string; Name: string };

const COMMON_KEYS = ['Type', 'Name', 'Description', 'InputConstructor', 'OutputConstructor'];
const ALLOWED_KEYS: Record<string, string[]> = {
  // Timeout is accepted and not simulated (the interpreter has no clock for task durations).
  Task: [...COMMON_KEYS, 'Next', 'End', 'Action', 'TaskMode', 'Timeout', 'Parameters', 'Retry'],
  Pass: [...COMMON_KEYS, 'Next', 'End'],
  Choice: [...COMMON_KEYS, 'Branches', 'Default'],
  Succeed: [...COMMON_KEYS],
  Fail: ['Type', 'Name', 'Description', 'Code', 'Detail'],
};
const RETRY_KEYS = [
  'Errors',
  'Description',
  'MaxAttempts',
  'IntervalSeconds',
  'BackoffRate',
  'MaxBackoffSeconds',
];

interface RetryRule {
  Errors: string[];
  MaxAttempts?: number;
  IntervalSeconds?: number;
  BackoffRate?: number;
  MaxBackoffSeconds?: number;
}

interface Waiting {
  pending: PendingCallback;
  /** Set once the function has returned: only then does the test see the pending callback. */
  announced: boolean;
  resolve: (output: unknown) => void;
  reject: (error: FlowTaskError) => void;
}

/**
 * @example
 * const flow = new FlowInterpreter(readFileSync('workflows/bulk-attach.yaml', 'utf8'), { handlers });
 * const run = flow.start({ regionId: 'cn-hangzhou', ... });
 * const pending = await flow.nextCallback();
 * flow.reportTaskSucceeded(pending.taskToken, '{}');
 * expect((await run).status).toBe('Succeeded');
 */
export class FlowInterpreter {
  public readonly name: string;
  private readonly startAt: string;
  private readonly states = new Map<string, State>();
  private readonly options: FlowInterpreterOptions;
  private readonly waiting = new Map<string, Waiting>();
  private readonly callbackListeners: ((pending: PendingCallback) => void)[] = [];
  private tokenCounter = 0;
  private requestCounter = 0;

  public constructor(definition: string | Record<string, unknown>, options: FlowInterpreterOptions) {
    const doc = (typeof definition === 'string' ? parse(definition) : definition) as Record<string, unknown>;
    if (doc['Type'] !== 'StateMachine' || doc['SpecVersion'] !== 'v1') {
      throw new UnsupportedFlowError('the definition must have Type: StateMachine and SpecVersion: v1');
    }
    this.name = String(doc['Name']);
    this.startAt = String(doc['StartAt']);
    this.options = options;
    const states = doc['States'];
    if (!Array.isArray(states)) throw new UnsupportedFlowError('States must be a list');
    for (const raw of states as State[]) {
      if (this.states.has(raw.Name)) throw new UnsupportedFlowError(`state ${raw.Name} is defined twice`);
      this.states.set(raw.Name, raw);
    }
    for (const state of this.states.values()) this.check(state);
    if (!this.states.has(this.startAt))
      throw new UnsupportedFlowError(`StartAt ${this.startAt} is not a state`);
  }

  /** Function names the flow invokes (from each Task's resourceArn). */
  public invokedFunctions(): string[] {
    const names = new Set<string>();
    for (const state of this.states.values()) {
      if (state.Type === 'Task') names.add(functionNameOf(state));
    }
    return [...names];
  }

  /** Starts an execution; the promise settles when it reaches Succeed, Fail or an End state. */
  public start(input: Record<string, unknown>, executionName?: string): Promise<FlowOutcome> {
    // Unique across interpreters, as CloudFlow's generated execution names are.
    return this.run(input, executionName ?? `exec-${process.pid}-${++executionNames}`);
  }

  /** Resolves with the next pending WaitForCustomCallback task (at once if one is already pending). */
  public nextCallback(): Promise<PendingCallback> {
    const first = [...this.waiting.values()].find((entry) => entry.announced);
    if (first) return Promise.resolve(first.pending);
    return new Promise((resolve) => this.callbackListeners.push(resolve));
  }

  /** Task tokens currently waiting for a callback. */
  public pendingCallbacks(): PendingCallback[] {
    return [...this.waiting.values()].filter((entry) => entry.announced).map((entry) => entry.pending);
  }

  /** Like FnF ReportTaskSucceeded: `output` is a JSON string (or an object, serialised for you). */
  public reportTaskSucceeded(taskToken: string, output: string | Record<string, unknown>): void {
    const entry = this.take(taskToken);
    const text = typeof output === 'string' ? output : JSON.stringify(output);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new Error(`ReportTaskSucceeded Output must be JSON, got ${JSON.stringify(text)}`);
    }
    entry.resolve(parsed);
  }

  /** Like FnF ReportTaskFailed: the task fails with `error` (subject to Retry). */
  public reportTaskFailed(taskToken: string, error: string, cause = ''): void {
    this.take(taskToken).reject(new FlowTaskError(error, cause));
  }

  private take(taskToken: string): Waiting {
    const entry = this.waiting.get(taskToken);
    if (!entry) throw new Error(`task token ${taskToken} is not pending (TaskTokenNotExist)`);
    this.waiting.delete(taskToken);
    return entry;
  }

  private async run(executionInput: Record<string, unknown>, executionName: string): Promise<FlowOutcome> {
    const history: HistoryEvent[] = [];
    const maxTransitions = this.options.maxTransitions ?? 10_000;
    let name = this.startAt;
    let input: unknown = executionInput;
    for (let transition = 0; transition < maxTransitions; transition += 1) {
      const state = this.states.get(name)!;
      const event: HistoryEvent = { state: name, type: state.Type, input };
      history.push(event);
      const scope = { Execution: { Name: executionName, Input: executionInput }, Current: { Name: name } };
      const stateInput = state['InputConstructor']
        ? construct(state['InputConstructor'], {
            $Input: input,
            $Context: { ...scope, Current: { ...scope.Current, Input: input } },
          })
        : input;
      const context = { ...scope, Current: { ...scope.Current, Input: stateInput } };
      let output: unknown;
      switch (state.Type) {
        case 'Fail':
          event.error = String(state['Code'] ?? 'Failed');
          return { status: 'Failed', error: event.error, cause: String(state['Detail']), history };
        case 'Choice': {
          const branches = state['Branches'] as { Condition: string; Next: string }[];
          const chosen = branches.find((branch) =>
            evaluateCondition(branch.Condition, { $Input: stateInput, $Context: context }),
          );
          event.output = stateInput;
          name = chosen ? chosen.Next : String(state['Default']);
          input = stateInput;
          continue;
        }
        case 'Task': {
          try {
            output = await this.runTask(state, stateInput, context, executionName);
          } catch (error) {
            const code = error instanceof FlowTaskError ? error.code : 'FC.Unhandled';
            const message = error instanceof Error ? error.message : String(error);
            event.error = code;
            return { status: 'Failed', error: code, cause: message, history };
          }
          break;
        }
        default:
          output = stateInput;
      }
      const finalOutput = state['OutputConstructor']
        ? construct(state['OutputConstructor'], {
            $Input: stateInput,
            $Output: output,
            $Context: { ...context, Current: { ...context.Current, Output: output } },
          })
        : output;
      event.output = finalOutput;
      if (state.Type === 'Succeed' || state['End'] === true) {
        return { status: 'Succeeded', output: finalOutput, history };
      }
      name = String(state['Next']);
      input = finalOutput;
    }
    return {
      status: 'Failed',
      error: 'Interpreter.TooManyTransitions',
      cause: `${maxTransitions} reached`,
      history,
    };
  }

  private async runTask(
    state: State,
    input: unknown,
    context: { Execution: Record<string, unknown>; Current: Record<string, unknown> },
    executionName: string,
  ): Promise<unknown> {
    const rules = (state['Retry'] ?? []) as RetryRule[];
    const attemptsByRule = new Map<RetryRule, number>();
    for (let retryCount = 0; ; retryCount += 1) {
      try {
        return await this.invokeOnce(state, input, context, executionName, retryCount);
      } catch (error) {
        const code = error instanceof FlowTaskError ? error.code : 'FC.Unhandled';
        const rule = rules.find((r) => r.Errors.includes(code) || r.Errors.includes('FnF.ALL'));
        const used = rule ? (attemptsByRule.get(rule) ?? 0) : 0;
        if (!rule || used >= (rule.MaxAttempts ?? 3)) throw error;
        attemptsByRule.set(rule, used + 1);
        const delay = Math.min(
          (rule.IntervalSeconds ?? 1) * (rule.BackoffRate ?? 1) ** used,
          rule.MaxBackoffSeconds ?? Number.POSITIVE_INFINITY,
        );
        this.options.onRetryDelay?.(delay, state.Name);
      }
    }
  }

  private async invokeOnce(
    state: State,
    input: unknown,
    context: { Execution: Record<string, unknown>; Current: Record<string, unknown> },
    executionName: string,
    retryCount: number,
  ): Promise<unknown> {
    const functionName = functionNameOf(state);
    const handler = this.options.handlers[functionName];
    if (!handler) throw new FlowTaskError('FC.FunctionNotFound', `no handler for function ${functionName}`);
    const callback = state['TaskMode'] === 'WaitForCustomCallback';
    const taskToken = callback ? `token-${++this.tokenCounter}` : undefined;
    const current = {
      ...context.Current,
      RetryCount: retryCount,
      ...(taskToken ? { TaskToken: taskToken } : {}),
    };
    const parameters = construct(state['Parameters'], {
      $Input: input,
      $Context: { ...context, Current: current },
    }) as Record<string, unknown>;
    const body = parameters['body'];
    // Register before invoking: the function may report the callback before it returns.
    const settled =
      taskToken === undefined
        ? undefined
        : new Promise<unknown>((resolve, reject) => {
            const pending: PendingCallback = { executionName, stateName: state.Name, taskToken, body };
            this.waiting.set(taskToken, { pending, announced: false, resolve, reject });
          });
    settled?.catch(() => undefined);
    this.requestCounter += 1;
    const requestId = `req-${this.requestCounter}`;
    const fcContext =
      this.options.context?.(functionName, requestId) ?? defaultContext(functionName, requestId);
    const event = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body ?? {}), 'utf8');
    let result: unknown;
    try {
      result = await handler(event, fcContext);
    } catch (error) {
      if (taskToken !== undefined) this.waiting.delete(taskToken);
      throw new FlowTaskError('FC.Unhandled', error instanceof Error ? error.message : String(error));
    }
    if (settled === undefined) return { Body: parseBody(result) };
    const entry = this.waiting.get(taskToken!);
    if (entry) {
      entry.announced = true;
      for (const listener of this.callbackListeners.splice(0)) listener(entry.pending);
    }
    return settled;
  }

  private check(state: State): void {
    const allowed = ALLOWED_KEYS[state.Type];
    if (!allowed) throw new UnsupportedFlowError(`state ${state.Name}: Type ${state.Type} is not supported`);
    for (const key of Object.keys(state)) {
      if (!allowed.includes(key))
        throw new UnsupportedFlowError(`state ${state.Name}: ${key} is not supported`);
    }
    const target = (next: unknown, what: string): void => {
      if (typeof next !== 'string' || !this.states.has(next)) {
        throw new UnsupportedFlowError(`state ${state.Name}: ${what} ${String(next)} is not a state`);
      }
    };
    if (state.Type === 'Task' || state.Type === 'Pass') {
      if (state['End'] !== true) target(state['Next'], 'Next');
    }
    if (state.Type === 'Choice') {
      const branches = state['Branches'];
      if (!Array.isArray(branches) || branches.length === 0) {
        throw new UnsupportedFlowError(`state ${state.Name}: Branches must be a non-empty list`);
      }
      for (const branch of branches as Record<string, unknown>[]) {
        if (typeof branch['Condition'] !== 'string') {
          throw new UnsupportedFlowError(`state ${state.Name}: every branch needs a Condition`);
        }
        parseCondition(branch['Condition']);
        target(branch['Next'], 'Branches[].Next');
      }
      target(state['Default'], 'Default (required)');
    }
    if (state.Type === 'Fail' && typeof state['Detail'] !== 'string') {
      throw new UnsupportedFlowError(`state ${state.Name}: Fail needs Detail`);
    }
    if (state.Type === 'Task') {
      if (state['Action'] !== 'FC:InvokeFunction') {
        throw new UnsupportedFlowError(
          `state ${state.Name}: Action ${String(state['Action'])} is not supported`,
        );
      }
      if (state['TaskMode'] !== 'RequestComplete' && state['TaskMode'] !== 'WaitForCustomCallback') {
        throw new UnsupportedFlowError(
          `state ${state.Name}: TaskMode ${String(state['TaskMode'])} is not supported`,
        );
      }
      const parameters = state['Parameters'] as Record<string, unknown> | undefined;
      if (parameters?.['invocationType'] !== 'Sync') {
        throw new UnsupportedFlowError(`state ${state.Name}: only invocationType Sync is supported`);
      }
      functionNameOf(state);
      for (const rule of (state['Retry'] ?? []) as Record<string, unknown>[]) {
        for (const key of Object.keys(rule)) {
          if (!RETRY_KEYS.includes(key)) throw new UnsupportedFlowError(`state ${state.Name}: Retry.${key}`);
        }
        if (!Array.isArray(rule['Errors']))
          throw new UnsupportedFlowError(`state ${state.Name}: Retry needs Errors`);
      }
    }
  }
}

/** `acs:fc:<region>:<account>:functions/<name>/<qualifier>` -> `<name>`. */
export function functionNameOf(state: Record<string, unknown>): string {
  const parameters = state['Parameters'] as Record<string, unknown> | undefined;
  const arn = parameters?.['resourceArn'];
  const match =
    typeof arn === 'string' ? /^acs:fc:[^:]*:[^:]*:functions\/([^/]+)(\/[^/]+)?$/.exec(arn) : null;
  if (!match)
    throw new UnsupportedFlowError(
      `state ${String(state['Name'])}: resourceArn ${String(arn)} is not an FC 3.0 function ARN`,
    );
  return match[1]!;
}

function defaultContext(functionName: string, requestId: string): Record<string, unknown> {
  return {
    requestId,
    credentials: { accessKeyId: 'STS.test', accessKeySecret: 'test-secret', securityToken: 'test-token' },
    function: { name: functionName, handler: 'index.handler', memory: 1024, timeout: 600 },
    region: 'cn-hangzhou',
    accountId: '1234567890123456',
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  };
}

function parseBody(result: unknown): unknown {
  if (result === undefined || result === null) return null;
  const text = Buffer.isBuffer(result)
    ? result.toString('utf8')
    : typeof result === 'string'
      ? result
      : undefined;
  if (text === undefined) return JSON.parse(JSON.stringify(result));
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

type Scope = Record<string, unknown>;

/** Builds a constructor/Parameters value: `<key>.$` members are expressions, others literals (recursively). */
export function construct(template: unknown, scope: Scope): unknown {
  if (Array.isArray(template)) return template.map((item) => construct(item, scope));
  if (template === null || typeof template !== 'object') return template;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) {
      if (typeof value !== 'string') throw new UnsupportedFlowError(`${key} must be an expression string`);
      result[key.slice(0, -2)] = evaluatePath(value, scope);
    } else {
      result[key] = construct(value, scope);
    }
  }
  return result;
}

/** `$Input.a.b[0]`, `$Output.Body.x`, `$Context.Current.TaskToken`; a missing member is an error. */
export function evaluatePath(expression: string, scope: Scope): unknown {
  const match = /^(\$Input|\$Output|\$Context)((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*)$/.exec(
    expression.trim(),
  );
  if (!match) throw new UnsupportedFlowError(`expression ${JSON.stringify(expression)} is not supported`);
  const root = match[1]!;
  if (!(root in scope)) throw new FlowTaskError('FnF.InvalidExpression', `${root} is not available here`);
  let current: unknown = scope[root];
  for (const part of match[2]!.match(/\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]/g) ?? []) {
    const key = part.startsWith('[') ? Number(part.slice(1, -1)) : part.slice(1);
    if (current === null || typeof current !== 'object' || !(key in (current as object))) {
      throw new FlowTaskError('FnF.InvalidExpression', `${expression}: ${String(key)} is missing`);
    }
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

interface Condition {
  path: string;
  op: '==' | '!=' | '<' | '<=' | '>' | '>=';
  literal: unknown;
}

function parseCondition(condition: string): Condition {
  const match = /^\s*(\$[A-Za-z0-9_.[\]]+)\s*(==|!=|<=|>=|<|>)\s*(.+?)\s*$/.exec(condition);
  if (!match) throw new UnsupportedFlowError(`condition ${JSON.stringify(condition)} is not supported`);
  let literal: unknown;
  try {
    literal = JSON.parse(match[3]!);
  } catch {
    throw new UnsupportedFlowError(
      `condition ${JSON.stringify(condition)}: the right side must be a JSON literal`,
    );
  }
  return { path: match[1]!, op: match[2] as Condition['op'], literal };
}

/** Evaluates `<path> <op> <literal>`; a missing path makes the condition false. */
export function evaluateCondition(condition: string, scope: Scope): boolean {
  const { path, op, literal } = parseCondition(condition);
  let value: unknown;
  try {
    value = evaluatePath(path, scope);
  } catch (error) {
    if (error instanceof FlowTaskError) return false;
    throw error;
  }
  switch (op) {
    case '==':
      return value === literal;
    case '!=':
      return value !== literal;
    default: {
      if (typeof value !== 'number' || typeof literal !== 'number') return false;
      if (op === '<') return value < literal;
      if (op === '<=') return value <= literal;
      if (op === '>') return value > literal;
      return value >= literal;
    }
  }
}
