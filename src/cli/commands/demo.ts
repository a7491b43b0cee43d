/**
 * `ecs-role-attach demo` (`npm start`): the whole story on a laptop, no cloud account. Starts the
 * embedded emulator in-process with a generated fleet and, narrating each step:
 * 1. an on-demand batch execution (OOS rateControl Batch [1,"5%","10%"], MaxErrors 0) in FailurePause
 *    mode, which pauses on the instance that fails to attach;
 * 2. the paused execution's report, then `continue` (prompt on a TTY, automatic otherwise);
 * 3. a launch of new instances whose creation events are handed to the `on-instance-created` handler;
 * 4. a sweep of both regions and its compliance report (the sources included);
 * 5. the sources fixed: `templates` (launch template default versions and scaling configurations get the
 *    role) and `harden-metadata` (canary first) on the prod instances of cn-hangzhou, then its rollback.
 * The engine reaches the emulator through the real SDKs and the same @alicloud/credentials default
 * chain as in the cloud (the emulator's key is put in this process's environment for the duration).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { type Command, Option } from 'commander';
// The demo is the one place product code calls an FC handler in-process, as FC would.
import { handler as onInstanceCreated } from '../../../functions/on-instance-created/index.js';
import { type EmulatorHandle, type FleetFile, generateFleet, startEmulator } from '../../emulator/index.js';
import {
  controlExecution,
  createExecution,
  createRollback,
  type EngineDeps,
  HARDENING_PREREQUISITES,
  InvalidInputError,
  renderSweepText,
  runExecution,
  runSweep,
} from '../../engine/index.js';
import { parseExecutionInput } from '../../inputs/parameters.js';
import { parseSourceInput } from '../../inputs/sources.js';
import type { CommandContext } from '../context.js';
import { engineDeps, openStore } from '../deps.js';
import { EXIT_CODES, guard } from '../exit.js';
import { createProgressReporter } from '../progress.js';
import { renderReportText } from '../report.js';
import { openConsole } from './console.js';

interface DemoFlags {
  state?: string;
  instances?: string;
  yes?: boolean;
  quiet?: boolean;
}

/** Defaults of the demo, in one place. */
export const DEMO_DEFAULTS = {
  /** @default 300 */
  instances: 300,
  seed: 7,
  role: 'EcsAppRole',
  regions: { 'cn-hangzhou': 2, 'cn-shanghai': 1 } as Record<string, number>,
  /** The OOS parameters of step 1, verbatim. */
  rateControl: { Mode: 'Batch', Batch: [1, '5%', '10%'], MaxErrors: 0, BatchPauseOption: 'Automatic' },
  failure: {
    Code: 'InstanceLockedForSecurity',
    Message: 'The specified operation is denied as your instance is locked for security reasons.',
  },
  launched: 3,
} as const;

/** The demo fleet and the instance that will fail to attach. */
export function demoFleet(instances: number): { fleet: FleetFile; failing: string } {
  const fleet = generateFleet({
    instances,
    seed: DEMO_DEFAULTS.seed,
    regions: DEMO_DEFAULTS.regions,
    designatedRole: DEMO_DEFAULTS.role,
  });
  // Pending instances would be refused by ECS (IncorrectInstanceStatus): the launch of step 3 shows
  // that case with events; here they have finished booting.
  for (const instance of fleet.instances) if (instance.Status === 'Pending') instance.Status = 'Running';
  const work = fleet.instances.filter(
    (i) =>
      i.RegionId === 'cn-hangzhou' &&
      i.InstanceNetworkType !== 'classic' &&
      !i.RamRoleName &&
      !(i.Tags && 'ecs-role-attach:exclude' in i.Tags),
  );
  // The third instance to attach: batch 1 (one instance) succeeds, batch 2 meets the failure.
  const failing = work[2]?.InstanceId;
  if (!failing)
    throw new InvalidInputError('--instances', 'must be large enough for the demo (at least 50)', instances);
  return { fleet, failing };
}

/** Registers `demo`. */
export function registerDemoCommand(program: Command, context: CommandContext): void {
  program
    .command('demo')
    .description(
      'Run the whole story on an embedded emulator (no cloud account): a batch run that pauses on a failure, continue, new instances handled by the event function, a sweep with its compliance report.',
    )
    .option('--state <dir>', 'keep the execution state here (default: a new temporary directory)')
    .addOption(
      new Option('--instances <n>', 'size of the generated fleet (50-5000)').default(
        String(DEMO_DEFAULTS.instances),
      ),
    )
    .option('--yes', 'do not prompt before continuing the paused execution')
    .option('--quiet', 'no progress lines')
    .addHelpText(
      'after',
      `
Examples:
  $ npm start                                  # = ecs-role-attach demo
  $ ecs-role-attach demo --yes --state ./demo-state
  $ ecs-role-attach status <executionId> --state ./demo-state   # afterwards`,
    )
    .action((flags: DemoFlags) => guard(context, () => runDemo(flags, context)));
}

async function runDemo(flags: DemoFlags, context: CommandContext): Promise<number> {
  const count = Number(flags.instances ?? DEMO_DEFAULTS.instances);
  if (!/^\d+$/.test(flags.instances ?? '300') || count < 50 || count > 5000) {
    throw new InvalidInputError('--instances', 'must be an integer from 50 to 5000', flags.instances);
  }
  const say = (text = ''): void => {
    context.stdout.write(`${text}\n`);
  };
  const started = Date.now();
  const { fleet, failing } = demoFleet(count);
  const state = resolve(flags.state ?? mkdtempSync(join(tmpdir(), 'ecs-role-attach-demo-')));
  const emulator = await startEmulator({
    fleet,
    faults: { instanceErrors: { [failing]: DEMO_DEFAULTS.failure } },
  });
  const restoreEnv = useEmulatorCredentials(emulator);
  const reporter = flags.quiet ? undefined : createProgressReporter({ stream: context.stderr });
  const options = { state, endpoint: emulator.endpoint };
  const store = openStore(options);
  const depsFor = (regionId: string): EngineDeps => ({
    ...engineDeps(regionId, options, reporter ? (p) => reporter.update(p) : undefined),
    store,
  });
  try {
    const role = DEMO_DEFAULTS.role;
    say(`ecs-role-attach demo — an embedded Alibaba Cloud on ${emulator.endpoint} (no account needed)`);
    say(
      `Fleet: ${fleet.instances.length} instances in ${emulator.regions.join(' and ')}, ${summarizeFleet(emulator, role)}.`,
    );
    say(`Execution state: ${state}`);
    say();

    // 1. Batch run
    say('Step 1 — an on-demand batch run in cn-hangzhou, with the OOS template parameters');
    say(`  rateControl ${JSON.stringify(DEMO_DEFAULTS.rateControl)}, mode FailurePause:`);
    say(
      '  one instance first, then 5% of the targets, then 10% at a time; the first failure pauses the run.',
    );
    say(`  (Instance ${failing} is set up to fail with ${DEMO_DEFAULTS.failure.Code}.)`);
    const parameters = parseExecutionInput({
      regionId: 'cn-hangzhou',
      RamRoleName: role,
      targets: { Type: 'All' },
      rateControl: DEMO_DEFAULTS.rateControl,
      mode: 'FailurePause',
      // A first rollout over the whole (generated) fleet: lift the blast-radius belt explicitly.
      maxTargets: '100%',
    });
    const deps = depsFor('cn-hangzhou');
    const created = await createExecution(parameters, deps, { origin: 'cli' });
    const paused = await runExecution(created.executionId, deps);
    reporter?.finish();
    say();

    // 2. Paused -> continue
    say(`Step 2 — the execution is ${paused.status}. This is what \`ecs-role-attach status\` shows:`);
    say(indent(renderReportText(paused, options)));
    let final = paused;
    if (paused.status === 'Waiting') {
      await confirmContinue(flags, context, say);
      await controlExecution(paused.executionId, 'continue', deps);
      final = await runExecution(paused.executionId, deps);
      reporter?.finish();
      say('  After `continue` (the failure is kept, the error budget starts again):');
      say(indent(renderReportText(final, options)));
    }

    // 3. New instances -> event function
    say(`Step 3 — ${DEMO_DEFAULTS.launched} new instances are launched in cn-shanghai (RunInstances).`);
    say(
      '  EventBridge hands their ActionTrail record and Running state-change events to on-instance-created:',
    );
    await deliverLaunchEvents(emulator, state, say);
    say();

    // 4. Sweep
    say('Step 4 — the scheduled sweep (what the timer trigger runs) over both regions:');
    const sweep = await runSweep(
      { regions: ['cn-hangzhou', 'cn-shanghai'], role, maxTargets: '100%' },
      depsFor,
    );
    reporter?.finish();
    say(indent(renderSweepText(sweep)));
    const truth = emulator.instances();
    const bearing = truth.filter((i) => i.RamRoleName === role).length;
    say(
      `Emulator truth: ${bearing} of ${truth.length} instances bear ${role}; the rest are classic-network, excluded, bear another role (onConflict skip), or are ${failing}, locked for security.`,
    );
    say();

    // 5. The sources
    say('Step 5 — fix the sources, so that new instances are born with the role and hardened:');
    say('  `ecs-role-attach templates`: a new default version (copied field by field, plus RamRoleName)');
    say('  for each launch template lacking the role, and the role on each active scaling configuration.');
    for (const parameters of parseSourceInput('templates', {
      regionId: 'cn-hangzhou,cn-shanghai',
      RamRoleName: role,
    })) {
      const regional = depsFor(parameters.regionId);
      const planned = await createExecution(parameters, regional, { origin: 'cli' });
      say(indent(renderReportText(await runExecution(planned.executionId, regional), options)));
    }
    reporter?.finish();
    say('  `ecs-role-attach harden-metadata` on the prod instances of cn-hangzhou (HttpTokens=required, a');
    say(
      '  one-instance canary first, pause on failure), then `rollback` sets exactly those back to optional:',
    );
    const [harden] = parseSourceInput('harden-metadata', {
      regionId: 'cn-hangzhou',
      targets: { Type: 'Tags', Tags: [{ Key: 'env', Value: 'prod' }] },
      excludeInstanceIds: [failing],
    });
    const hardenDeps = depsFor('cn-hangzhou');
    const hardening = await createExecution(harden!, hardenDeps, { origin: 'cli' });
    const hardened = await runExecution(hardening.executionId, hardenDeps);
    reporter?.finish();
    say(indent(renderReportText(hardened, options)));
    say(`  Prerequisites: ${HARDENING_PREREQUISITES}.`);
    const undo = await createRollback(hardened.executionId, hardenDeps);
    const undone = await runExecution(undo.executionId, hardenDeps);
    reporter?.finish();
    say(indent(renderReportText(undone, options)));
    say(
      `Done in ${((Date.now() - started) / 1000).toFixed(1)} s. Explore the state: ecs-role-attach list --state ${state}`,
    );
    say();
    await showConsole(flags, context, say, options);
    return EXIT_CODES.success;
  } finally {
    reporter?.finish();
    restoreEnv();
    await emulator.close();
  }
}

/**
 * The demo ends with the web console over its state. On a terminal it serves it (decisions go to the
 * demo's emulator) until Enter; otherwise it prints the URL and ends at once, without blocking.
 */
async function showConsole(
  flags: DemoFlags,
  context: CommandContext,
  say: (t?: string) => void,
  options: { state: string; endpoint: string },
): Promise<void> {
  say('The web console over this state (executions, their instances and decisions, compliance over time):');
  const handle = await openConsole({ state: options.state, endpoint: options.endpoint }, context);
  try {
    if (!isInteractive(flags, context)) {
      say(
        `  Not a terminal (or --yes): the demo ends here. Serve it again with: ecs-role-attach console --state ${options.state}`,
      );
      return;
    }
    const prompt = createInterface({ input: process.stdin, output: context.stdout });
    try {
      await prompt.question(
        '  Open the URL above in a browser; press Enter to stop the console and the emulator… ',
      );
    } finally {
      prompt.close();
    }
  } finally {
    await handle.close();
  }
}

function isInteractive(flags: DemoFlags, context: CommandContext): boolean {
  return !flags.yes && process.stdin.isTTY === true && (context.stdout as { isTTY?: boolean }).isTTY === true;
}

/** Puts the emulator's key where the @alicloud/credentials default chain reads it; returns an undo. */
function useEmulatorCredentials(emulator: EmulatorHandle): () => void {
  const names = [
    'ALIBABA_CLOUD_ACCESS_KEY_ID',
    'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
    'ALIBABA_CLOUD_SECURITY_TOKEN',
    'ALIBABA_CLOUD_ECS_METADATA_DISABLED',
    'ALIBABA_CLOUD_CLI_PROFILE_DISABLED',
  ] as const;
  const saved = new Map(names.map((name) => [name, process.env[name]]));
  process.env['ALIBABA_CLOUD_ACCESS_KEY_ID'] = emulator.accessKeyId;
  process.env['ALIBABA_CLOUD_ACCESS_KEY_SECRET'] = emulator.accessKeySecret;
  delete process.env['ALIBABA_CLOUD_SECURITY_TOKEN'];
  process.env['ALIBABA_CLOUD_ECS_METADATA_DISABLED'] = 'true';
  process.env['ALIBABA_CLOUD_CLI_PROFILE_DISABLED'] = 'true';
  return () => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

function summarizeFleet(emulator: EmulatorHandle, role: string): string {
  const all = emulator.instances();
  const count = (predicate: (i: (typeof all)[number]) => boolean) => all.filter(predicate).length;
  return [
    `${count((i) => i.Status === 'Running')} Running / ${count((i) => i.Status !== 'Running')} other statuses`,
    `${count((i) => i.RamRoleName === role)} already bearing ${role}`,
    `${count((i) => i.RamRoleName !== '' && i.RamRoleName !== role)} bearing another role`,
    `${count((i) => i.InstanceNetworkType === 'classic')} classic-network`,
    `${count((i) => 'ecs-role-attach:exclude' in i.Tags)} tagged ecs-role-attach:exclude`,
  ].join(', ');
}

async function confirmContinue(
  flags: DemoFlags,
  context: CommandContext,
  say: (t?: string) => void,
): Promise<void> {
  if (!isInteractive(flags, context)) {
    say('  Not a terminal (or --yes): continuing automatically, as `ecs-role-attach resume <id>` would.');
    return;
  }
  const prompt = createInterface({ input: process.stdin, output: context.stdout });
  try {
    await prompt.question(
      '  Press Enter to continue the execution (as `ecs-role-attach resume <id>` would)… ',
    );
  } finally {
    prompt.close();
  }
}

/** Launches instances through the admin route and hands their creation events to the FC handler in-process. */
async function deliverLaunchEvents(
  emulator: EmulatorHandle,
  state: string,
  say: (t?: string) => void,
): Promise<void> {
  const regionId = 'cn-shanghai';
  const ids = Array.from(
    { length: DEMO_DEFAULTS.launched },
    (_, i) => `i-uf9demo${String(i + 1).padStart(12, '0')}`,
  );
  const response = await fetch(`${emulator.endpoint}/_emulator/instances`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      instances: ids.map((InstanceId) => ({
        InstanceId,
        RegionId: regionId,
        Status: 'Pending',
        RunningAfterMs: 300,
        InstanceNetworkType: 'vpc',
        Tags: { env: 'prod', team: 'payments', app: 'web' },
      })),
    }),
  });
  if (!response.ok) throw new Error(`the emulator refused the launch: ${await response.text()}`);
  say(`  launched ${ids.join(', ')} (Pending, Running after a few hundred ms)`);
  await waitUntilRunning(emulator, ids);
  const events = [
    actionTrailRunInstances(emulator.accountId, regionId, ids),
    ...ids.map((id) => stateChangeRunning(emulator.accountId, regionId, id)),
  ];
  const env = {
    RAM_ROLE_NAME: DEMO_DEFAULTS.role,
    STATE: state,
    ENDPOINT_OVERRIDE: emulator.endpoint,
    FC_ACCOUNT_ID: emulator.accountId,
    FC_REGION: regionId,
    // The handler logs one JSON line per instance to stdout (FC collects them); keep the narration readable.
    LOG_LEVEL: process.env['LOG_LEVEL'] ?? 'warn',
  };
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    const handler = onInstanceCreated as (event: unknown, context: unknown) => Promise<unknown>;
    const result = await handler(Buffer.from(JSON.stringify(events)), fcContext(emulator, regionId));
    say(`  on-instance-created answered: ${JSON.stringify(result)}`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/not implemented/i.test(message)) {
      say(
        '  (on-instance-created is still a placeholder in this build: the sweep in step 4 catches these instances.)',
      );
    } else {
      say(`  on-instance-created failed: ${message}. The sweep in step 4 catches these instances.`);
    }
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

async function waitUntilRunning(emulator: EmulatorHandle, ids: string[]): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const running = emulator.instances().filter((i) => ids.includes(i.InstanceId) && i.Status === 'Running');
    if (running.length === ids.length) return;
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** The FC 3.0 context fields the handler reads (request id, account, region, function, credentials). */
function fcContext(emulator: EmulatorHandle, regionId: string): Record<string, unknown> {
  const credentials = emulator.sts ?? {
    accessKeyId: emulator.accessKeyId,
    accessKeySecret: emulator.accessKeySecret,
  };
  return {
    requestId: randomUUID(),
    accountId: emulator.accountId,
    region: regionId,
    credentials,
    function: { name: 'on-instance-created', handler: 'index.handler', memory: 512, timeout: 60 },
    service: { name: 'ecs-role-attach' },
  };
}

/** An ActionTrail `RunInstances` record as EventBridge delivers it (CloudEvents 1.0). */
function actionTrailRunInstances(
  accountId: string,
  regionId: string,
  ids: string[],
): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    source: 'acs.ecs',
    specversion: '1.0',
    subject: `acs.ecs:${regionId}:${accountId}:RunInstances`,
    time: now,
    type: 'ecs:ActionTrail:ApiCall',
    aliyunaccountid: accountId,
    aliyunpublishtime: now,
    aliyuneventbusname: 'default',
    aliyunregionid: regionId,
    datacontenttype: 'application/json;charset=utf-8',
    data: {
      eventId: randomUUID(),
      eventVersion: 1,
      eventRW: 'Write',
      eventType: 'ApiCall',
      eventName: 'RunInstances',
      eventSource: 'ecs.aliyuncs.com',
      serviceName: 'Ecs',
      acsRegion: regionId,
      eventTime: now,
      requestParameters: { RegionId: regionId, Amount: ids.length },
      responseElements: { RequestId: randomUUID(), InstanceIdSets: { InstanceIdSet: ids } },
      referencedResources: { 'ACS::ECS::Instance': ids },
    },
  };
}

/** An `ecs:Instance:StateChange` event (state Running). */
function stateChangeRunning(
  accountId: string,
  regionId: string,
  instanceId: string,
): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    id: randomUUID(),
    source: 'acs.ecs',
    specversion: '1.0',
    subject: `acs:ecs:${regionId}:${accountId}:instance/${instanceId}`,
    time: now,
    type: 'ecs:Instance:StateChange',
    aliyunaccountid: accountId,
    aliyunpublishtime: now,
    aliyuneventbusname: 'default',
    aliyunregionid: regionId,
    datacontenttype: 'application/json;charset=utf-8',
    data: { resourceId: instanceId, resourceType: 'ALIYUN::ECS::Instance', state: 'Running' },
  };
}

function indent(text: string): string {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
