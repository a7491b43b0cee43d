/**
 * Benchmark: organization scope. A Resource Directory of `accounts` members, each with `regions` x
 * `instances` role-less instances, every account under the same per-account quotas (ECS quotas are per
 * account); one organization sweep through STS AssumeRole, the real SDKs and an FS store, three ways:
 *
 * - one account alone (the unit),
 * - every account, `concurrency` accounts at once (the product's parent rate control),
 * - every account one after another (account concurrency 1: what a per-account script loop does).
 *
 * Printed as ratios: wall time against one account's time, and against the per-account quota floor
 * (bench/floor.ts over the calls one account's quota let through; accounts have separate quotas, so the
 * organization's floor is the slowest account's).
 *
 *   npm run build && node dist/bench/organization.js [--accounts 50] [--regions 2] [--instances 500] [--concurrency 50]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCloudApis } from '../src/cloud/clients.js';
import { createOrganizationApis, sessionNameFor } from '../src/cloud/organization.js';
import { type FleetAccount, startEmulator } from '../src/emulator/index.js';
import {
  createOrganization,
  type OrganizationAccount,
  type OrganizationDeps,
  runOrganization,
  silentLogger,
  systemClock,
} from '../src/engine/index.js';
import { openExecutionStore } from '../src/store/index.js';
import { BENCH_ROLE, benchFleet, benchInstance } from './fleet.js';
import { type QuotaFloor, quotaFloor } from './floor.js';
import { BENCH_LATENCY_MS, BENCH_QUOTAS } from './throughput.js';

const REGIONS = ['cn-hangzhou', 'cn-shanghai', 'cn-beijing', 'cn-shenzhen'];

export interface OrganizationBenchOptions {
  accounts: number;
  regions: number;
  instances: number;
  concurrency: number;
}

export interface OrganizationRun {
  accounts: number;
  concurrency: number;
  wallSeconds: number;
  attached: number;
  /** The slowest account's quota floor. */
  floor: QuotaFloor;
  assumeRoleCalls: number;
}

function memberFleet(index: number, options: OrganizationBenchOptions): FleetAccount {
  const accountId = `2${String(index).padStart(15, '0')}`;
  const instances = REGIONS.slice(0, options.regions).flatMap((regionId, r) =>
    Array.from({ length: options.instances }, (_, k) => ({
      ...benchInstance((index * options.regions + r) * options.instances + k),
      RegionId: regionId,
    })),
  );
  return { accountId, instances };
}

/** One organization sweep over the first `accounts` members, `concurrency` at once. */
export async function runOrganizationSweep(
  options: OrganizationBenchOptions,
  accounts: number,
  concurrency: number,
): Promise<OrganizationRun> {
  const base = benchFleet(0);
  const members = Array.from({ length: accounts }, (_, i) => memberFleet(i + 1, options));
  const emulator = await startEmulator({
    fleet: { ...base, accounts: members },
    latencyMs: BENCH_LATENCY_MS,
    quotas: { ...BENCH_QUOTAS },
  });
  const directory = mkdtempSync(join(tmpdir(), 'era-bench-org-'));
  try {
    const caller = { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret };
    const org = createOrganizationApis({ endpoint: emulator.endpoint, credential: caller });
    const store = openExecutionStore(directory);
    const regions = REGIONS.slice(0, options.regions);
    const deps: OrganizationDeps = {
      store,
      clock: systemClock,
      random: Math.random,
      logger: silentLogger,
      accountDeps: async (account, organizationId) => {
        const credential = org.assumeRole(
          account.accountId,
          account.assumeRole,
          sessionNameFor(organizationId),
        );
        await credential.assume();
        return (regionId) => {
          const cloud = createCloudApis({ regionId, endpoint: emulator.endpoint, credential });
          return {
            ecs: cloud.ecs,
            ram: cloud.ram,
            store,
            clock: systemClock,
            random: Math.random,
            logger: silentLogger,
          };
        };
      },
    };
    const planned: OrganizationAccount[] = members.map((m) => ({
      accountId: m.accountId,
      displayName: '',
      management: false,
      regions,
      assumeRole: 'ResourceDirectoryAccountAccessRole',
    }));
    const started = performance.now();
    const record = await createOrganization(
      {
        input: {
          kind: 'sweep',
          request: {
            regions,
            role: BENCH_ROLE,
            rateControl: { Mode: 'Concurrency', Concurrency: 100, MaxErrors: 0 },
          },
          settings: {},
        },
        origin: 'sweep',
        accounts: planned,
        leftOut: [],
        accountConcurrency: concurrency,
      },
      deps,
    );
    let report = await runOrganization(record.organizationId, deps);
    // Children left unfinished by calls that could not get through in time are resumed, as an operator would.
    for (let resumes = 0; report.status === 'Running' && resumes < 3; resumes++)
      report = await runOrganization(record.organizationId, deps, { action: 'continue' });
    const wallSeconds = (performance.now() - started) / 1000;
    if (report.status !== 'Success') {
      const failed = report.accounts.flatMap((a) => a.regions).filter((c) => c.status !== 'Success');
      const detail = failed
        .slice(0, 3)
        .map((c) => `${c.accountId}/${c.regionId} ${c.status} ${c.reason ?? ''}`);
      throw new Error(
        `organization sweep ended ${report.status}: ${report.statusReason}; ${detail.join('; ')}`,
      );
    }
    const stats = emulator.stats();
    const floors = members.map((m) =>
      quotaFloor({ calls: stats.accounts[m.accountId] ?? {}, quotas: BENCH_QUOTAS }),
    );
    const floor = floors.reduce((a, b) => (b.seconds > a.seconds ? b : a));
    return {
      accounts,
      concurrency,
      wallSeconds,
      attached: report.totals.attached,
      floor,
      assumeRoleCalls: stats.calls['AssumeRole'] ?? 0,
    };
  } finally {
    rmSync(directory, { recursive: true, force: true });
    await emulator.close();
  }
}

export interface OrganizationBenchResult {
  options: OrganizationBenchOptions;
  one: OrganizationRun;
  parallel: OrganizationRun;
  sequential: OrganizationRun;
}

export async function benchOrganization(
  options: OrganizationBenchOptions,
  log: (line: string) => void,
): Promise<OrganizationBenchResult> {
  // A first run warms the process (module loading, JIT), so that the unit is one account's steady time.
  log('organization: warm-up');
  await runOrganizationSweep(options, 1, 1);
  log('organization: one account');
  const one = await runOrganizationSweep(options, 1, 1);
  log(`organization: ${options.accounts} accounts, ${options.concurrency} at once`);
  const parallel = await runOrganizationSweep(options, options.accounts, options.concurrency);
  log(`organization: ${options.accounts} accounts, one after another`);
  const sequential = await runOrganizationSweep(options, options.accounts, 1);
  return { options, one, parallel, sequential };
}

export function renderOrganization(result: OrganizationBenchResult): string {
  const { one, parallel: p, sequential: q, options: o } = result;
  const x = (n: number) => `${n.toFixed(2)}x`;
  const rows = [
    ['', `${o.accounts} accounts, ${o.concurrency} at once`, `${o.accounts} accounts, one after another`],
    ['instances attached', String(p.attached), String(q.attached)],
    ['wall / one account', x(p.wallSeconds / one.wallSeconds), x(q.wallSeconds / one.wallSeconds)],
    [
      'wall / per-account quota floor',
      x(p.wallSeconds / p.floor.seconds),
      x(q.wallSeconds / q.floor.seconds),
    ],
    [
      'wall / (accounts x one account)',
      x(p.wallSeconds / (o.accounts * one.wallSeconds)),
      x(q.wallSeconds / (o.accounts * one.wallSeconds)),
    ],
    ['AssumeRole calls', String(p.assumeRoleCalls), String(q.assumeRoleCalls)],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return [
    `Organization sweep: ${o.accounts} accounts x ${o.regions} regions x ${o.instances} instances, ${BENCH_LATENCY_MS} ms latency, quotas 20 calls/s per action per account`,
    `(one account: ${one.attached} attached, ${x(one.wallSeconds / one.floor.seconds)} its quota floor, binding ${one.floor.bindingAction ?? '-'})`,
    ...rows.map((r) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`),
  ].join('\n');
}

function parseArgs(argv: readonly string[]): OrganizationBenchOptions {
  const options: OrganizationBenchOptions = { accounts: 50, regions: 2, instances: 500, concurrency: 50 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, '') as keyof OrganizationBenchOptions;
    const value = Number(argv[i + 1]);
    if (!(key in options) || !Number.isInteger(value) || value < 1)
      throw new Error(
        `unknown flag or bad value ${argv[i]} ${argv[i + 1]} (flags: --accounts, --regions, --instances, --concurrency)`,
      );
    options[key] = value;
  }
  if (options.regions > REGIONS.length) throw new Error(`--regions must be at most ${REGIONS.length}`);
  return options;
}

if (require.main === module) {
  benchOrganization(parseArgs(process.argv.slice(2)), (line) => process.stderr.write(`${line}\n`))
    .then((result) => process.stdout.write(`${renderOrganization(result)}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
}
