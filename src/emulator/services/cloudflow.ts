/**
 * CloudFlow (FnF 2019-03-15) as the product calls it: `ReportTaskSucceeded`, `ReportTaskFailed` and
 * `StartExecution`, sent by `@alicloud/fnf-2019-03-15` (pop-core RPC, HMAC-SHA1, POST form body) and
 * verified by the shared RPC verifier. Calls are recorded, not executed: tests read them with
 * `GET /_emulator/cloudflow` (or {@link CloudFlowRecorder.calls}) and feed them to a flow interpreter.
 */
import { CommonErrors, EmulatorApiError } from '../api-error.js';
import { type EmulatorService, rpcService } from '../service.js';

/** One recorded call, in arrival order. */
export type CloudFlowCall =
  | { action: 'ReportTaskSucceeded'; at: string; requestId: string; taskToken: string; output: string }
  | {
      action: 'ReportTaskFailed';
      at: string;
      requestId: string;
      taskToken: string;
      error: string;
      cause: string;
    }
  | {
      action: 'StartExecution';
      at: string;
      requestId: string;
      flowName: string;
      executionName: string;
      input: string;
    };

/** The service plus read access to what it recorded. */
export interface CloudFlowRecorder {
  service: EmulatorService;
  calls(): CloudFlowCall[];
  /**
   * Makes the service refuse these task tokens (400 `TaskTokenInvalid`), as for a flow execution that
   * was stopped or timed out. The real code for that case is unconfirmed.
   */
  revokeTaskTokens(tokens: string[]): void;
}

/**
 * Builds the CloudFlow service. Validation mirrors the documented parameter rules: `TaskToken` required,
 * `Output` must be JSON, `Error` 1-128 characters, `Cause` at most 4096, `FlowName` required, `Input`
 * (when given) JSON.
 */
export function cloudFlowService(flows: readonly string[] = []): CloudFlowRecorder {
  const declaredFlows = new Set(flows);
  const recorded: CloudFlowCall[] = [];
  const revoked = new Set<string>();
  let executions = 0;
  const live = (taskToken: string): string => {
    if (revoked.has(taskToken)) {
      throw new EmulatorApiError(400, 'TaskTokenInvalid', 'The task token is invalid or its task has ended.');
    }
    return taskToken;
  };
  const required = (params: Record<string, string>, name: string): string => {
    const value = params[name];
    if (value === undefined || value === '') throw CommonErrors.missingParameter(name);
    return value;
  };
  const json = (name: string, value: string): void => {
    try {
      JSON.parse(value);
    } catch {
      throw CommonErrors.invalidParameter(name, 'must be a JSON string', value.slice(0, 80));
    }
  };
  const service = rpcService({
    name: 'fnf',
    product: 'fnf',
    version: '2019-03-15',
    hostId: 'cn-hangzhou.fnf.aliyuncs.com',
    actions: {
      ReportTaskSucceeded: (params, context) => {
        const taskToken = live(required(params, 'TaskToken'));
        const output = required(params, 'Output');
        json('Output', output);
        recorded.push({
          action: 'ReportTaskSucceeded',
          at: new Date(context.now()).toISOString(),
          requestId: context.requestId,
          taskToken,
          output,
        });
        return { body: {} };
      },
      ReportTaskFailed: (params, context) => {
        const taskToken = live(required(params, 'TaskToken'));
        const error = required(params, 'Error');
        if (error.length > 128)
          throw CommonErrors.invalidParameter('Error', 'must be 1-128 characters', error);
        const cause = params['Cause'] ?? '';
        if (cause.length > 4096)
          throw CommonErrors.invalidParameter('Cause', 'must be at most 4096 characters', cause.slice(0, 80));
        recorded.push({
          action: 'ReportTaskFailed',
          at: new Date(context.now()).toISOString(),
          requestId: context.requestId,
          taskToken,
          error,
          cause,
        });
        return { body: {} };
      },
      DescribeFlow: (params) => {
        const name = required(params, 'Name');
        if (!declaredFlows.has(name)) {
          throw new EmulatorApiError(404, 'FlowNotExists', `Flow '${name}' does not exist.`);
        }
        return {
          body: { Name: name, Type: 'FDL', ExecutionMode: 'Standard', Description: '', Definition: '' },
        };
      },
      StartExecution: (params, context) => {
        const flowName = required(params, 'FlowName');
        const input = params['Input'] ?? '{}';
        json('Input', input);
        executions += 1;
        const executionName = params['ExecutionName'] ?? `exec-${executions}`;
        recorded.push({
          action: 'StartExecution',
          at: new Date(context.now()).toISOString(),
          requestId: context.requestId,
          flowName,
          executionName,
          input,
        });
        return { body: { FlowName: flowName, Name: executionName } };
      },
    },
  });
  return {
    service,
    calls: () => structuredClone(recorded),
    revokeTaskTokens: (tokens) => {
      for (const token of tokens) revoked.add(token);
    },
  };
}
