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
import { generateFleet, startEmulator, trustPolicyFor } from '../src/emulator/index.js';
import { BENCH_REGION, BENCH_ROLE } from './fleet.js';
import { type DryRunMeasure, dryRunInChild, SCALE_TARGETS } from './scale.js';

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
  single: DryRunMeasure;
  withRules: DryRunMeasure;
  ratios: { wall: number; cpu: number; rss: number };
  targets: typeof SCALE_TARGETS;
  met: { rssMb: boolean; seconds: boolean };
}

export async function benchRoleRules(
  instances: number,
  repeat: number,
  root: string,
  log: (line: string) => void,
): Promise<RulesBenchResult> {
  log(`rules: generating ${instances} instances...`);
  const fleet = generateFleet({ instances, seed: 11, regions: { [BENCH_REGION]: 1 } });
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
    let single: DryRunMeasure | undefined;
    let withRules: DryRunMeasure | undefined;
    for (let round = 0; round < repeat; round++) {
      log(`rules: round ${round + 1}/${repeat}, one role...`);
      single = best(single, await dryRunInChild(emulator, root, ['--role', BENCH_ROLE], scratch));
      log(`rules: round ${round + 1}/${repeat}, 20 rules...`);
      withRules = best(withRules, await dryRunInChild(emulator, root, ['--rules', rulesFile], scratch));
    }
    if (!single || !withRules) throw new Error('--repeat must be at least 1');
    for (const [name, m] of [
      ['one role', single],
      ['rules', withRules],
    ] as const) {
      if (m.exitCode !== 0 || m.targetsInReport !== instances) {
        throw new Error(
          `${name}: exit ${m.exitCode}, ${m.targetsInReport} targets in the report (expected ${instances})`,
        );
      }
    }
    return {
      instances,
      rules: 20,
      single,
      withRules,
      ratios: {
        wall: withRules.wallSeconds / single.wallSeconds,
        cpu: withRules.cliCpuSeconds / single.cliCpuSeconds,
        rss: withRules.cliPeakRssMb / single.cliPeakRssMb,
      },
      targets: { ...SCALE_TARGETS },
      met: {
        rssMb: withRules.cliPeakRssMb < SCALE_TARGETS.rssMb,
        seconds: withRules.wallSeconds < SCALE_TARGETS.seconds,
      },
    };
  } finally {
    await emulator.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

export function renderRoleRules(r: RulesBenchResult): string {
  const row = (name: string, m: DryRunMeasure) =>
    `  ${name.padEnd(9)} wall ${m.wallSeconds.toFixed(2)} s (${(m.wallSeconds / r.targets.seconds).toFixed(3)}x of ${r.targets.seconds} s), CPU ${m.cliCpuSeconds.toFixed(2)} s, peak RSS ${m.cliPeakRssMb.toFixed(0)} MB (${(m.cliPeakRssMb / r.targets.rssMb).toFixed(2)}x of ${r.targets.rssMb} MB)`;
  return [
    `Role rules: dry run over ${r.instances} instances, ${r.rules} rules vs one role (best of each)`,
    row('one role', r.single),
    row('20 rules', r.withRules),
    `  rules / one role: wall ${r.ratios.wall.toFixed(2)}x, CPU ${r.ratios.cpu.toFixed(2)}x, peak RSS ${r.ratios.rss.toFixed(2)}x; targets ${r.met.seconds && r.met.rssMb ? 'met' : 'NOT met'}`,
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
