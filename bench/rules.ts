/**
 * Benchmark: role rules at scale. `run --dry-run` of the built CLI (a child process) over a generated fleet
 * of 100,000 instances in one region, twice: with the one role (`--role`, the planner as it was) and with a
 * 20-rule document (18 team x app rules, a resource-group rule with a policy, a default `match: {}`), so
 * that most instances are tried against many rules before one matches. Same emulator, fleet and limiter
 * settings as the scale benchmark (bench/scale.ts). Each variant runs `--repeat` times, alternating; the
 * best of each is compared.
 *
 * Printed as ratios: rules / one role for wall time, CPU time and peak RSS, and each against the scale
 * targets (30 s, 256 MB).
 *
 *   npm run build && node dist/bench/rules.js [--instances 100000] [--repeat 2]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startEmulator, trustPolicyFor } from '../src/emulator/index.js';
import { BENCH_ROLE } from './fleet.js';
import { type DryRunMeasure, dryRunInChild, SCALE_TARGETS, scaleFleet } from './scale.js';

const TEAMS = ['payments', 'search', 'platform', 'data'];
const APPS = ['web', 'api', 'worker', 'db', 'cache'];
const POLICY = '{"Version":"1","Statement":[{"Effect":"Allow","Action":"oss:GetObject","Resource":"*"}]}';

/** The 20 rules and the roles they name (every one trusting ECS in the fleet). */
export function benchRules(): { yaml: string; roles: string[] } {
  const lines = ['rules:'];
  const roles: string[] = [];
  let n = 0;
  for (const team of TEAMS) {
    for (const app of APPS) {
      if (n === 18) break;
      const role = `Bench${team}${app}Role`;
      roles.push(role);
      lines.push(
        `  - { name: ${team}-${app}, match: { tags: { team: ${team}, app: ${app} } }, role: ${role} }`,
      );
      n++;
    }
  }
  roles.push('BenchDataRgRole');
  lines.push(
    `  - { name: data-rg, match: { resourceGroupId: rg-aek2data00003, tags: { env: '*' } }, role: BenchDataRgRole, policy: '${POLICY}' }`,
  );
  lines.push(`  - { name: default, match: {}, role: ${BENCH_ROLE} }`);
  lines.push('acceptedRoles: [LegacyAppRole]');
  return { yaml: `${lines.join('\n')}\n`, roles };
}

export interface RulesBenchResult {
  instances: number;
  rules: number;
  rounds: number;
  /** The run of each variant with the least wall time. */
  single: DryRunMeasure;
  withRules: DryRunMeasure;
  /** Peak RSS over all rounds, MB: how far the garbage collector's timing moves it from run to run. */
  rssRange: { single: [number, number]; withRules: [number, number] };
  /** Wall and CPU of the best runs; RSS of the worst runs (the target is a ceiling). */
  ratios: { wall: number; cpu: number; rss: number };
  targets: typeof SCALE_TARGETS;
  /** Of the 20-rule runs: every round under the memory target, the best under the time target. */
  met: { rssMb: boolean; seconds: boolean };
}

export async function benchRoleRules(
  instances: number,
  repeat: number,
  root: string,
  log: (line: string) => void,
): Promise<RulesBenchResult> {
  log(`rules: generating ${instances} instances...`);
  const fleet = scaleFleet(instances);
  const { yaml, roles } = benchRules();
  const trust = trustPolicyFor('ecs.aliyuncs.com');
  fleet.roles = [
    ...(fleet.roles ?? []),
    ...roles.map((RoleName) => ({ RoleName, AssumeRolePolicyDocument: trust })),
  ];
  const emulator = await startEmulator({ fleet });
  const scratch = mkdtempSync(join(tmpdir(), 'era-rules-bench-'));
  try {
    const rulesFile = join(scratch, 'rules.yaml');
    writeFileSync(rulesFile, yaml);
    const best = (a: DryRunMeasure | undefined, b: DryRunMeasure) =>
      !a || b.wallSeconds < a.wallSeconds ? b : a;
    const singles: DryRunMeasure[] = [];
    const ruled: DryRunMeasure[] = [];
    for (let round = 0; round < repeat; round++) {
      log(`rules: round ${round + 1}/${repeat}, one role...`);
      singles.push(await dryRunInChild(emulator, root, ['--role', BENCH_ROLE], scratch));
      log(`rules: round ${round + 1}/${repeat}, 20 rules...`);
      ruled.push(await dryRunInChild(emulator, root, ['--rules', rulesFile], scratch));
    }
    const single = singles.reduce<DryRunMeasure | undefined>(best, undefined);
    const withRules = ruled.reduce<DryRunMeasure | undefined>(best, undefined);
    if (!single || !withRules) throw new Error('--repeat must be at least 1');
    const range = (runs: DryRunMeasure[]): [number, number] => [
      Math.min(...runs.map((m) => m.cliPeakRssMb)),
      Math.max(...runs.map((m) => m.cliPeakRssMb)),
    ];
    const rssRange = { single: range(singles), withRules: range(ruled) };
    for (const [name, m] of [
      ...singles.map((m) => ['one role', m] as const),
      ...ruled.map((m) => ['rules', m] as const),
    ]) {
      if (m.exitCode !== 0 || m.targetsInReport !== instances) {
        throw new Error(
          `${name}: exit ${m.exitCode}, ${m.targetsInReport} targets in the report (expected ${instances})`,
        );
      }
    }
    return {
      instances,
      rules: 20,
      rounds: repeat,
      single,
      withRules,
      rssRange,
      ratios: {
        wall: withRules.wallSeconds / single.wallSeconds,
        cpu: withRules.cliCpuSeconds / single.cliCpuSeconds,
        rss: rssRange.withRules[1] / rssRange.single[1],
      },
      targets: { ...SCALE_TARGETS },
      met: {
        rssMb: rssRange.withRules[1] < SCALE_TARGETS.rssMb,
        seconds: withRules.wallSeconds < SCALE_TARGETS.seconds,
      },
    };
  } finally {
    await emulator.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function renderRoleRules(r: RulesBenchResult): string {
  const row = (name: string, m: DryRunMeasure, [low, high]: [number, number]) =>
    `  ${name.padEnd(9)} wall ${m.wallSeconds.toFixed(2)} s (${(m.wallSeconds / r.targets.seconds).toFixed(3)}x of ${r.targets.seconds} s), CPU ${m.cliCpuSeconds.toFixed(2)} s, peak RSS ${low.toFixed(0)}-${high.toFixed(0)} MB (worst ${(high / r.targets.rssMb).toFixed(2)}x of ${r.targets.rssMb} MB)`;
  return [
    `Role rules: dry run over ${r.instances} instances, ${r.rules} rules vs one role (${r.rounds} rounds; wall and CPU of the best run, peak RSS over all)`,
    row('one role', r.single, r.rssRange.single),
    row('20 rules', r.withRules, r.rssRange.withRules),
    `  rules / one role: wall ${r.ratios.wall.toFixed(2)}x, CPU ${r.ratios.cpu.toFixed(2)}x, worst peak RSS ${r.ratios.rss.toFixed(2)}x; targets ${r.met.seconds && r.met.rssMb ? 'met' : 'NOT met'}`,
  ].join('\n');
}

function parseArgs(argv: readonly string[]): { instances: number; repeat: number } {
  const options = { instances: 100_000, repeat: 2 };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i];
    const n = Number(argv[i + 1]);
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`${flag} must be a positive integer, got ${argv[i + 1]}`);
    if (flag === '--instances') options.instances = n;
    else if (flag === '--repeat') options.repeat = n;
    else throw new Error(`unknown flag ${JSON.stringify(flag)} (flags: --instances, --repeat)`);
  }
  return options;
}

if (require.main === module) {
  const { instances, repeat } = parseArgs(process.argv.slice(2));
  benchRoleRules(instances, repeat, resolve(__dirname, '../..'), (line) => process.stderr.write(`${line}\n`))
    .then((result) => process.stdout.write(`${renderRoleRules(result)}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
}
