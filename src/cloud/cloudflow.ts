/**
 * CloudFlow (FnF 2019-03-15) callbacks over the real `@alicloud/fnf-2019-03-15` 1.2.0 SDK, a pop-core
 * `RPCClient` (legacy RPC HMAC-SHA1 signature, POST form body). Only the calls the product makes:
 * `ReportTaskSucceeded` / `ReportTaskFailed` (resume a `WaitForCustomCallback` task), `StartExecution`, and
 * `DescribeFlow` (read-only, `doctor --flow`).
 * Credentials come from `@alicloud/credentials` through pop-core's `credentialsProvider` hook, so STS
 * tokens are refreshed by the credential and never stored here.
 */
import type Credential from '@alicloud/credentials';
import { CloudApiError } from '../engine/index.js';
import { defaultCredential, type StaticCredentials, staticCredential } from './credentials.js';

/** The CloudFlow calls the product makes. */
export interface CloudFlowApi {
  /** Resumes the waiting task with `output` (a JSON object, sent as a JSON string). */
  reportTaskSucceeded(taskToken: string, output: Record<string, unknown>): Promise<void>;
  /** Fails the waiting task; `error` is 1-128 characters, `cause` at most 4096 (longer text is cut). */
  reportTaskFailed(taskToken: string, error: string, cause?: string): Promise<void>;
  /** Starts an execution of `flowName`; returns the execution name CloudFlow reports. */
  startExecution(flowName: string, input: Record<string, unknown>, executionName?: string): Promise<string>;
  /** DescribeFlow: the flow's name and type, or undefined when it does not exist (read-only, for `doctor`). */
  describeFlow(flowName: string): Promise<{ name: string; type: string } | undefined>;
}

export interface CloudFlowOptions {
  regionId: string;
  /**
   * Send the calls here instead of CloudFlow (the emulator), e.g. `http://127.0.0.1:8080`.
   * @default `https://<regionId>.fnf.aliyuncs.com` (the endpoint form is unconfirmed, research §3.1)
   */
  endpoint?: string;
  /** @default the `@alicloud/credentials` default chain */
  credential?: Credential | StaticCredentials;
  /** @default 10000 */
  timeoutMs?: number;
}

/** The part of the pop-core client this adapter calls. */
interface FnfClient {
  reportTaskSucceeded(params: Record<string, string>, options?: object): Promise<{ RequestId?: string }>;
  reportTaskFailed(params: Record<string, string>, options?: object): Promise<{ RequestId?: string }>;
  startExecution(
    params: Record<string, string>,
    options?: object,
  ): Promise<{ RequestId?: string; Name?: string }>;
  describeFlow(params: Record<string, string>, options?: object): Promise<{ Name?: string; Type?: string }>;
}
type FnfClientConstructor = new (config: Record<string, unknown>) => FnfClient;

/**
 * A {@link CloudFlowApi} over the FnF SDK.
 * @example
 * const flow = createCloudFlowApi({ regionId: 'cn-hangzhou' });
 * await flow.reportTaskSucceeded(record.taskToken, { executionId, status: 'Running' });
 */
export function createCloudFlowApi(options: CloudFlowOptions): CloudFlowApi {
  // The SDK ships no type declarations; its surface is described by FnfClient above.
  const Client = require('@alicloud/fnf-2019-03-15') as FnfClientConstructor;
  const credential = toCredential(options.credential);
  const client = new Client({
    endpoint: (options.endpoint ?? `https://${options.regionId}.fnf.aliyuncs.com`).replace(/\/+$/, ''),
    apiVersion: '2019-03-15',
    credentialsProvider: {
      getCredentials: async () => {
        const current = await credential.getCredential();
        return {
          accessKeyId: current.accessKeyId,
          accessKeySecret: current.accessKeySecret,
          securityToken: current.securityToken,
        };
      },
    },
    opts: { timeout: options.timeoutMs ?? 10_000 },
  });
  return new SdkCloudFlowApi(client);
}

class SdkCloudFlowApi implements CloudFlowApi {
  public constructor(private readonly client: FnfClient) {}

  public async reportTaskSucceeded(taskToken: string, output: Record<string, unknown>): Promise<void> {
    await call('ReportTaskSucceeded', () =>
      this.client.reportTaskSucceeded({ TaskToken: taskToken, Output: JSON.stringify(output) }),
    );
  }

  public async reportTaskFailed(taskToken: string, error: string, cause = ''): Promise<void> {
    await call('ReportTaskFailed', () =>
      this.client.reportTaskFailed({
        TaskToken: taskToken,
        Error: error.slice(0, 128),
        ...(cause === '' ? {} : { Cause: cause.slice(0, 4096) }),
      }),
    );
  }

  public async startExecution(
    flowName: string,
    input: Record<string, unknown>,
    executionName?: string,
  ): Promise<string> {
    const result = await call('StartExecution', () =>
      this.client.startExecution({
        FlowName: flowName,
        Input: JSON.stringify(input),
        ...(executionName === undefined ? {} : { ExecutionName: executionName }),
      }),
    );
    return result.Name ?? executionName ?? '';
  }

  public async describeFlow(flowName: string): Promise<{ name: string; type: string } | undefined> {
    try {
      const flow = await call('DescribeFlow', () => this.client.describeFlow({ Name: flowName }));
      return { name: flow.Name ?? flowName, type: flow.Type ?? '' };
    } catch (error) {
      // The Serverless Devs flow component keys on this message ("Flow '<name>' does not exist").
      if (
        error instanceof CloudApiError &&
        (error.code === 'FlowNotExists' || /does not exist/i.test(error.message))
      ) {
        return undefined;
      }
      throw error;
    }
  }
}

/** Runs one SDK call; pop-core errors (`code`, `data.RequestId`) become {@link CloudApiError}. */
async function call<T>(action: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const fields = (error ?? {}) as { code?: unknown; message?: unknown; data?: { RequestId?: unknown } };
    const code = typeof fields.code === 'string' ? fields.code : 'NetworkError';
    // pop-core appends the request URL to the message; keep only the service's sentence.
    const message = String(fields.message ?? error).replace(/, URL: .*$/s, '');
    const requestId = typeof fields.data?.RequestId === 'string' ? fields.data.RequestId : undefined;
    throw new CloudApiError({
      action,
      code,
      message,
      retryable: code === 'NetworkError' || code.includes('Throttling') || code === 'InternalError',
      ...(requestId === undefined ? {} : { requestId }),
      cause: error,
    });
  }
}

function toCredential(credential: Credential | StaticCredentials | undefined): Credential {
  if (credential === undefined) return defaultCredential();
  if ('accessKeySecret' in credential && typeof credential.accessKeySecret === 'string') {
    return staticCredential(credential as StaticCredentials);
  }
  return credential as Credential;
}
