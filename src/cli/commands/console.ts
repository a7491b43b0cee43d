import { type Command, Option } from 'commander';
import { InvalidInputError } from '../../engine/index.js';
import { CONSOLE_DEFAULTS, type ConsoleHandle, startConsole } from '../console/server.js';
import type { CommandContext } from '../context.js';
import { stateLocation } from '../deps.js';
import { guard } from '../exit.js';

interface ConsoleFlags {
  state?: string;
  endpoint?: string;
  flowEndpoint?: string;
  qps?: string;
  port: string;
}

/** Registers `console`: the local web console over an execution store, until Ctrl-C. */
export function registerConsoleCommand(program: Command, context: CommandContext): void {
  program
    .command('console')
    .description(
      'Serve a web console over the execution store on 127.0.0.1: executions, one execution with its instances and the continue / retry / cancel decisions, compliance over time.',
    )
    .option(
      '--state <dir>',
      'execution state: a directory or oss://bucket/prefix (env ECS_ROLE_ATTACH_STATE)',
    )
    .option('--endpoint <url>', 'send every API call (and OSS) to this endpoint, e.g. the emulator')
    .option('--flow-endpoint <url>', 'CloudFlow endpoint for the callback of a workflow-owned execution')
    .option('--qps <list>', 'per-action calls per second for executions the console drives')
    .addOption(
      new Option('--port <n>', 'port on 127.0.0.1 (0: any free port)').default(String(CONSOLE_DEFAULTS.port)),
    )
    .addHelpText(
      'after',
      `
Examples:
  $ ecs-role-attach console --state ./.ecs-role-attach
  $ ecs-role-attach console --state oss://my-bucket/ecs-role-attach --port 8787

It prints one URL with a random access token; every request without the token is refused (401).`,
    )
    .action((flags: ConsoleFlags) =>
      guard(context, async () => {
        const handle = await openConsole(flags, context);
        await untilInterrupted();
        context.stderr.write(
          'ecs-role-attach console: stopping (executions it drives stop at their next chunk)\n',
        );
        await handle.close();
        return 0;
      }),
    );
}

/** Starts the console from the command's flags and prints its URL on stdout. */
export async function openConsole(
  flags: Partial<ConsoleFlags>,
  context: CommandContext,
): Promise<ConsoleHandle> {
  const port = Number(flags.port ?? CONSOLE_DEFAULTS.port);
  if (!/^\d{1,5}$/.test(flags.port ?? '0') || port > 65_535) {
    throw new InvalidInputError('--port', 'must be a port number from 0 to 65535', flags.port);
  }
  const handle = await startConsole({
    state: stateLocation(flags),
    port,
    ...(flags.endpoint === undefined ? {} : { endpoint: flags.endpoint }),
    ...(flags.flowEndpoint === undefined ? {} : { flowEndpoint: flags.flowEndpoint }),
    ...(flags.qps === undefined ? {} : { qps: flags.qps }),
    log: (line) => context.stderr.write(`${line}\n`),
  }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new InvalidInputError(
        '--port',
        'must be a free port on 127.0.0.1 (this one is in use)',
        flags.port,
      );
    }
    throw error;
  });
  context.stdout.write(`ecs-role-attach console: ${handle.url}\n`);
  return handle;
}

function untilInterrupted(): Promise<void> {
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
