/**
 * The same JSON gives the same verdict on every path (issue #16): each value of `targets`, `rateControl`
 * and the parameters goes through the CLI's flags (`run`), a params file (`run --params`), the timer payload
 * (`sweep` function) and the workflow input (`plan`), which must all accept it, or all refuse it with the
 * same rule and value; only the field's prefix differs (`--targets Type`, `targets.Type`,
 * `payload.targets.Type`, `params.targets.Type`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmulatorHandle } from '../../../src/emulator/index';
import { InvalidInputError, sweepParameters } from '../../../src/engine/index';
import { decodeTimerEvent } from '../../../src/inputs/timer';
import { decodeWorkflowRequest } from '../../../src/inputs/workflowRequest';
import {
  cliFleet,
  emulatorFlags,
  fleetId,
  runCli,
  tempState,
  useEmulatorCredentials,
} from '../../helpers/cli';
import { DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';
import { asFcEvent, timerEvent } from '../../helpers/events';

/** One case: the values it sets (the rest are valid), and the canonical field it is refused at (or accepted). */
interface Case {
  region?: string;
  role?: string;
  targets?: unknown;
  rateControl?: unknown;
  mode?: string;
  maxTargets?: string;
}

const TAGS_21 = Array.from({ length: 21 }, (_, i) => ({ Key: `k${i}` }));

const CASES: [string, Case, string | 'accepted'][] = [
  // targets
  ['targets All', { targets: { Type: 'All' } }, 'accepted'],
  ['targets Tags', { targets: { Type: 'Tags', Tags: [{ Key: 'env', Value: 'prod' }] } }, 'accepted'],
  [
    'targets ResourceIds with Parameters',
    { targets: { Type: 'ResourceIds', ResourceIds: [fleetId(1)], Parameters: { Status: 'Running' } } },
    'accepted',
  ],
  ['an unknown targets Type', { targets: { Type: 'Everything' } }, 'targets.Type'],
  ['targets without Type', { targets: { ResourceIds: [fleetId(1)] } }, 'targets.Type'],
  ['no instance id', { targets: { Type: 'ResourceIds', ResourceIds: [] } }, 'targets.ResourceIds'],
  [
    'a bad instance id',
    { targets: { Type: 'ResourceIds', ResourceIds: ['vm-1'] } },
    'targets.ResourceIds[0]',
  ],
  ['an unknown key in targets', { targets: { Type: 'All', Region: 'x' } }, 'targets.Region'],
  ['an empty tag key', { targets: { Type: 'Tags', Tags: [{ Key: '' }] } }, 'targets.Tags[0].Key'],
  ['21 tags', { targets: { Type: 'Tags', Tags: TAGS_21 } }, 'targets.Tags'],
  [
    'a bad resource group',
    { targets: { Type: 'ResourceGroup', ResourceGroupId: 'group' } },
    'targets.ResourceGroupId',
  ],
  [
    'a bad Status',
    { targets: { Type: 'All', Parameters: { Status: 'Bogus' } } },
    'targets.Parameters.Status',
  ],
  ['a bad targets RegionId', { targets: { Type: 'All', RegionId: 'Hangzhou' } }, 'targets.RegionId'],
  // rateControl
  ['Mode Batch without Batch', { rateControl: { Mode: 'Batch' } }, 'rateControl.Batch'],
  ['Batch without Mode', { rateControl: { Batch: [1] } }, 'accepted'],
  [
    'Concurrency as a percentage',
    { rateControl: { Mode: 'Concurrency', Concurrency: '10%', MaxErrors: 0 } },
    'accepted',
  ],
  ['a batch over 100%', { rateControl: { Mode: 'Batch', Batch: ['100.5%'] } }, 'rateControl.Batch[0]'],
  [
    'a batch that is no amount',
    { rateControl: { Mode: 'Batch', Batch: [1, 'abc'] } },
    'rateControl.Batch[1]',
  ],
  ['an unknown Mode', { rateControl: { Mode: 'Fast' } }, 'rateControl.Mode'],
  ['a negative Concurrency', { rateControl: { Concurrency: -1 } }, 'rateControl.Concurrency'],
  ['MaxErrors over 100%', { rateControl: { MaxErrors: '150%' } }, 'rateControl.MaxErrors'],
  ['an unknown rateControl key', { rateControl: { Batch: [1], Typo: 1 } }, 'rateControl.Typo'],
  ['Batch with Mode Concurrency', { rateControl: { Mode: 'Concurrency', Batch: [1] } }, 'rateControl.Batch'],
  [
    'a bad BatchPauseOption',
    { rateControl: { Batch: [1], BatchPauseOption: 'Sometimes' } },
    'rateControl.BatchPauseOption',
  ],
  // parameters
  ['mode FailurePause', { mode: 'FailurePause' }, 'accepted'],
  ['an unknown mode', { mode: 'Sometimes' }, 'mode'],
  ['maxTargets 5%', { maxTargets: '5%' }, 'accepted'],
  ['maxTargets that is no amount', { maxTargets: 'ten' }, 'maxTargets'],
  ['a bad region', { region: 'Hangzhou' }, 'region'],
  ['a role with a slash', { role: 'a/b' }, 'role'],
  ['a role of dots only', { role: '..' }, 'role'],
];

/** What a path said: undefined (accepted), or the refused field and the message after the field. */
type Verdict = undefined | { field: string; rest: string };

function verdictOf(error: unknown): Verdict {
  if (!(error instanceof InvalidInputError)) throw error;
  return { field: error.field, rest: error.message.slice(error.field.length) };
}

function valuesOf(c: Case) {
  return {
    region: c.region ?? 'cn-hangzhou',
    role: c.role ?? DESIGNATED_ROLE,
    targets: c.targets ?? { Type: 'All' },
    ...(c.rateControl === undefined ? {} : { rateControl: c.rateControl }),
    ...(c.mode === undefined ? {} : { mode: c.mode }),
    ...(c.maxTargets === undefined ? {} : { maxTargets: c.maxTargets }),
  };
}

/** The canonical name of a field on any path: prefixes and flags dropped, region and role unified. */
function canonical(field: string): string {
  const flags: Record<string, string> = {
    '--region': 'region',
    '--role': 'role',
    '--targets': 'targets',
    '--rate-control': 'rateControl',
    '--mode': 'mode',
    '--max-targets': 'maxTargets',
  };
  const flag = /^(--[a-z-]+)(?: (.*))?$/.exec(field);
  const plain = flag ? [flags[flag[1]!] ?? flag[1], flag[2]].filter(Boolean).join('.') : field;
  return plain
    .replace(/^(payload|params)\./, '')
    .replace(/^(regionId|regions\[0\])$/, 'region')
    .replace(/^RamRoleName$/, 'role');
}

let emulator: EmulatorHandle;
beforeAll(async () => {
  useEmulatorCredentials();
  emulator = await startTestEmulator({ fleet: cliFleet(3) });
});
afterAll(() => emulator.close());

/** The CLI's verdict: exit 0 (a dry run: accepted), or exit 2 with the message `<field><rest>`. */
async function cliVerdict(args: string[], rest: string | undefined): Promise<Verdict> {
  const result = await runCli([
    'run',
    ...args,
    ...emulatorFlags(emulator, tempState()),
    '--dry-run',
    '--quiet',
  ]);
  if (result.code !== 2) {
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    return undefined;
  }
  const message = /^ecs-role-attach: (.*)\n$/s.exec(result.stderr)?.[1] ?? result.stderr;
  if (rest !== undefined && message.endsWith(rest)) return { field: message.slice(0, -rest.length), rest };
  return { field: message, rest: '(another message)' };
}

describe('the same value, the same verdict on every path', () => {
  it.each(CASES)('%s', async (_label, c, expected) => {
    const v = valuesOf(c);
    const params = {
      regionId: v.region,
      RamRoleName: v.role,
      targets: v.targets,
      ...(v.rateControl === undefined ? {} : { rateControl: v.rateControl }),
      ...(v.mode === undefined ? {} : { mode: v.mode }),
      ...(v.maxTargets === undefined ? {} : { maxTargets: v.maxTargets }),
    };
    const payload = {
      regions: [v.region],
      role: v.role,
      targets: v.targets,
      ...(v.rateControl === undefined ? {} : { rateControl: v.rateControl }),
      ...(v.mode === undefined ? {} : { mode: v.mode }),
      ...(v.maxTargets === undefined ? {} : { maxTargets: v.maxTargets }),
    };

    const verdicts: Record<string, Verdict> = {};
    // What an accepted value becomes: the same execution parameters on both FC paths.
    const built: Record<string, unknown> = {};
    try {
      const timer = decodeTimerEvent(asFcEvent(timerEvent(payload)));
      built['timer payload'] = sweepParameters(v.region, timer.request);
      verdicts['timer payload'] = undefined;
    } catch (error) {
      verdicts['timer payload'] = verdictOf(error);
    }
    try {
      const { plan } = decodeWorkflowRequest(asFcEvent({ action: 'plan', params }));
      built['workflow input'] = plan && 'parameters' in plan ? plan.parameters : plan;
      verdicts['workflow input'] = undefined;
    } catch (error) {
      verdicts['workflow input'] = verdictOf(error);
    }
    const reference = verdicts['timer payload'];
    const file = join(tempState(), 'params.json');
    writeFileSync(file, JSON.stringify(params));
    verdicts['params file'] = await cliVerdict(['--params', file], reference?.rest);
    verdicts['CLI flags'] = await cliVerdict(
      [
        ...['--region', v.region, '--role', v.role, '--targets', JSON.stringify(v.targets)],
        ...(v.rateControl === undefined ? [] : ['--rate-control', JSON.stringify(v.rateControl)]),
        ...(v.mode === undefined ? [] : ['--mode', v.mode]),
        ...(v.maxTargets === undefined ? [] : ['--max-targets', v.maxTargets]),
      ],
      reference?.rest,
    );

    if (expected === 'accepted') {
      // Without a rateControl each path keeps its own default (a sweep's is Concurrency 100, MaxErrors 10).
      const comparable = (parameters: unknown) => {
        const { rateControl, ...rest } = parameters as { rateControl: unknown };
        return v.rateControl === undefined ? rest : { rateControl, ...rest };
      };
      expect(comparable(built['timer payload'])).toEqual(comparable(built['workflow input']));
    }
    for (const [path, verdict] of Object.entries(verdicts)) {
      expect([path, verdict && canonical(verdict.field)]).toEqual([
        path,
        expected === 'accepted' ? undefined : expected,
      ]);
      expect([path, verdict?.rest]).toEqual([path, reference?.rest]);
    }
  });
});
