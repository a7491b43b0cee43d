import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import YAML from 'yaml';
import { type EmulatorOptions, parseFleetFile, startEmulator } from '../../emulator/index.js';
import type { CommandContext } from '../context.js';

/** Flags of `ecs-role-attach emulator`, as commander hands them over (strings). */
export interface EmulatorFlags {
  port?: string;
  fleet?: string;
  instances?: string;
  seed?: string;
  latencyMs?: string;
  /** `--bucket`, repeatable: OSS buckets that exist. */
  bucket?: string[];
}

/** What the command needs from the outside world; tests replace `waitForStop`. */
export interface EmulatorCommandDeps {
  /** Resolves when the emulator should stop. @default first SIGINT or SIGTERM */
  waitForStop(): Promise<void>;
}

/** Resolves on the first SIGINT or SIGTERM, then removes its listeners. */
export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function integerFlag(flag: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(
      `${flag} must be an integer from ${min} to ${max}, got "${raw}"; the emulator was not started.`,
    );
  }
  return value;
}

/**
 * Turns the flags into {@link EmulatorOptions}: validates numbers, reads the fleet file (JSON, or YAML when the
 * name ends in .yaml/.yml). Throws an Error naming the flag on invalid input.
 */
export async function emulatorOptionsFromFlags(flags: EmulatorFlags): Promise<EmulatorOptions> {
  const options: EmulatorOptions = { port: integerFlag('--port', flags.port, 0, 65535) ?? 0 };
  const instances = integerFlag('--instances', flags.instances, 0, 1_000_000);
  const seed = integerFlag('--seed', flags.seed, 0, 2 ** 32 - 1);
  const latencyMs = integerFlag('--latency-ms', flags.latencyMs, 0, 600_000);
  if (flags.fleet !== undefined && instances !== undefined) {
    throw new Error(
      '--fleet and --instances exclude each other: the fleet file lists the instances; the emulator was not started.',
    );
  }
  if (instances !== undefined) options.instances = instances;
  if (seed !== undefined) options.seed = seed;
  if (latencyMs !== undefined) options.latencyMs = latencyMs;
  const invalidBucket = (flags.bucket ?? []).find((name) => !/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(name));
  if (invalidBucket !== undefined) {
    throw new Error(
      `--bucket must be an OSS bucket name (3-63 lowercase letters, digits, "-"), got ${JSON.stringify(invalidBucket)}; the emulator was not started.`,
    );
  }
  if (flags.bucket !== undefined && flags.bucket.length > 0) options.buckets = flags.bucket;
  if (flags.fleet !== undefined) {
    let text: string;
    try {
      text = await readFile(flags.fleet, 'utf8');
    } catch (error) {
      throw new Error(
        `--fleet ${flags.fleet} cannot be read (${(error as Error).message}); the emulator was not started.`,
      );
    }
    let parsed: unknown;
    try {
      parsed = /\.ya?ml$/i.test(flags.fleet) ? YAML.parse(text) : JSON.parse(text);
    } catch (error) {
      throw new Error(
        `--fleet ${flags.fleet} is not valid JSON/YAML (${(error as Error).message}); the emulator was not started.`,
      );
    }
    options.fleet = parseFleetFile(parsed, `--fleet ${flags.fleet}`);
  }
  return options;
}

/**
 * `ecs-role-attach emulator [--port 0] [--fleet FILE] [--instances N] [--seed N] [--latency-ms N]`:
 * starts the embedded Alibaba Cloud on 127.0.0.1, prints one JSON line
 * `{"endpoint","accessKeyId","accessKeySecret","accountId","regions"}` on stdout when ready,
 * and serves until SIGINT/SIGTERM. Invalid flags: message on stderr, exit code 2, nothing started.
 */
export function registerEmulatorCommand(
  program: Command,
  context: CommandContext,
  deps: EmulatorCommandDeps = { waitForStop: waitForSignal },
): void {
  program
    .command('emulator')
    .description(
      'Start the embedded Alibaba Cloud emulator (ECS, RAM, OSS, CloudFlow callbacks) on 127.0.0.1; serves until SIGINT/SIGTERM.',
    )
    .addHelpText(
      'after',
      `
Prints one JSON line when ready: {"endpoint","accessKeyId","accessKeySecret","accountId","regions"}.

Examples:
  $ ecs-role-attach emulator --instances 500 --seed 7
  $ ecs-role-attach emulator --fleet fleet.json --port 8080 --latency-ms 20
  $ ecs-role-attach emulator --bucket era-state   # then --state oss://era-state/prefix works`,
    )
    .option('--port <port>', 'TCP port on 127.0.0.1; 0 picks a free one', '0')
    .option(
      '--fleet <file>',
      'fleet file (JSON or YAML): accountId, credentials, roles, instances, buckets, quotas, faults',
    )
    .option('--instances <n>', 'generate a deterministic fleet of N instances (default 50 without --fleet)')
    .option('--seed <n>', 'seed of the generated fleet, credentials and fault draws', '1')
    .option('--latency-ms <ms>', 'fixed latency added to every API call')
    .option(
      '--bucket <name>',
      'an OSS bucket that exists (repeatable; added to the fleet file\'s "buckets"); other buckets answer 404 NoSuchBucket',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(async (flags: EmulatorFlags) => {
      let options: EmulatorOptions;
      try {
        options = await emulatorOptionsFromFlags(flags);
      } catch (error) {
        context.stderr.write(`ecs-role-attach emulator: ${(error as Error).message}\n`);
        context.setExitCode(2);
        return;
      }
      const emulator = await startEmulator(options);
      const ready = {
        endpoint: emulator.endpoint,
        accessKeyId: emulator.accessKeyId,
        accessKeySecret: emulator.accessKeySecret,
        accountId: emulator.accountId,
        regions: emulator.regions,
      };
      context.stdout.write(`${JSON.stringify(ready)}\n`);
      await deps.waitForStop();
      await emulator.close();
    });
}
