/**
 * FC-style invocation helpers: a realistic FC 3.0 context, the environment FC sets for a function with a
 * role (the STS triple the `@alicloud/credentials` env provider reads), a clock whose sleeps advance
 * virtual time at once (and can change the world, e.g. flip an instance to Running), and a logger that
 * keeps the structured lines.
 */

import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EmulatorHandle } from '../../src/emulator';
import type { Logger } from '../../src/engine/ports';
import { DESIGNATED_ROLE, startTestEmulator } from './emulator';

export interface FcContextOptions {
  functionName?: string;
  /** FC timeout in seconds. @default 60 */
  timeout?: number;
  requestId?: string;
  accountId?: string;
  region?: string;
}

let requests = 0;

/** The context FC hands a Node.js 20 handler (research/function-compute.md §4.2). */
export function fcContext(emulator: EmulatorHandle, options: FcContextOptions = {}) {
  requests += 1;
  const sts = emulator.sts!;
  return {
    requestId: options.requestId ?? `1-6750f0a2-${requests.toString(16).padStart(8, '0')}`,
    credentials: {
      accessKeyId: sts.accessKeyId,
      accessKeySecret: sts.accessKeySecret,
      securityToken: sts.securityToken,
    },
    function: {
      name: options.functionName ?? 'ecs-role-attach-on-instance-created',
      handler: 'index.handler',
      memory: 512,
      timeout: options.timeout ?? 60,
    },
    service: { name: '', logProject: 'proj', logStore: 'function-logstore', qualifier: 'LATEST' },
    region: options.region ?? 'cn-hangzhou',
    accountId: options.accountId ?? emulator.accountId,
    logger: { info() {}, warn() {}, error() {}, debug() {} },
  };
}

/**
 * Sets the environment FC gives the function (credentials of its role, and our configuration) and
 * returns a function that restores the previous values.
 */
export function setFunctionEnv(
  emulator: EmulatorHandle,
  env: Record<string, string | undefined>,
): () => void {
  const sts = emulator.sts!;
  const values: Record<string, string | undefined> = {
    ALIBABA_CLOUD_ACCESS_KEY_ID: sts.accessKeyId,
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: sts.accessKeySecret,
    ALIBABA_CLOUD_SECURITY_TOKEN: sts.securityToken,
    ALIBABA_CLOUD_ECS_METADATA_DISABLED: 'true',
    ALIBABA_CLOUD_CLI_PROFILE_DISABLED: 'true',
    ENDPOINT_OVERRIDE: emulator.endpoint,
    ...env,
  };
  const previous = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]));
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  return () => {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
}

/** A logger that keeps every line (level, object, message). */
export class CapturingLogger implements Logger {
  public readonly lines: { level: string; obj: Record<string, unknown>; msg?: string | undefined }[] = [];

  public info(obj: object, msg?: string): void {
    this.lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg });
  }
  public warn(obj: object, msg?: string): void {
    this.lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg });
  }
  public error(obj: object, msg?: string): void {
    this.lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg });
  }
  public debug(obj: object, msg?: string): void {
    this.lines.push({ level: 'debug', obj: obj as Record<string, unknown>, msg });
  }

  /** The per-instance lines of the event path. */
  public instanceLines(): Record<string, unknown>[] {
    return this.lines.filter((line) => line.msg === 'event path instance').map((line) => line.obj);
  }
}

/**
 * Around a test file: an emulator with the small known fleet, a state directory, and the environment FC
 * gives the functions (designated role, that state, silent logs, plus `env`). Read the fields in tests.
 */
export function functionWorld(env: Record<string, string> = {}): { emulator: EmulatorHandle; state: string } {
  const world = {} as { emulator: EmulatorHandle; state: string };
  let restoreEnv: () => void = () => {};
  beforeAll(async () => {
    world.emulator = await startTestEmulator();
    world.state = await fs.mkdtemp(path.join(os.tmpdir(), 'era-fn-'));
    restoreEnv = setFunctionEnv(world.emulator, {
      RAM_ROLE_NAME: DESIGNATED_ROLE,
      STATE: world.state,
      LOG_LEVEL: 'silent',
      ...env,
    });
  });
  afterAll(async () => {
    restoreEnv();
    await world.emulator.close();
    await fs.rm(world.state, { recursive: true, force: true });
  });
  return world;
}
