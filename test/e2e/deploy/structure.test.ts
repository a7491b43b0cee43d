/**
 * Structural checks of the deployment: s.yaml (rendered offline by `s preview`), the CloudFlow
 * definition, the function bundles and the RAM policies agree with each other and with the code.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { parse } from 'yaml';
import { loadFunctionConfig } from '../../../functions/shared/config';
import { fleetPrincipal } from '../../../src/emulator/accounts';
import { trustsPrincipal } from '../../../src/emulator/services/sts';
import { EXECUTION_STATUSES } from '../../../src/engine/types';
import { decodeInstanceEvents } from '../../../src/inputs/events';
import { decodeSweepPayload } from '../../../src/inputs/timer';
import {
  AT_REC_RUN_INSTANCES_API_CALL_REFERENCED_ONLY,
  AT_REC_RUN_INSTANCES_CONSOLE,
  EB_AT_DELETE_DISK_API_CALL,
  envelope,
  REAL_ACCOUNT_ID,
  roleChangeRecord,
  stateChangeData,
} from '../../fixtures/realEvents';
import { apiCallEvent, otherEvent, stateChangeEvent, TEST_ACCOUNT_ID } from '../../helpers/events';
import { FlowInterpreter } from '../../helpers/flowInterpreter';

const root = join(__dirname, '../../..');
const scratch = mkdtempSync(join(tmpdir(), 'era-structure-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

type Props = Record<string, unknown> & {
  functionName: string;
  code: string;
  runtime: string;
  handler: string;
  environmentVariables: Record<string, string>;
  triggers?: { triggerName: string; triggerType: string; triggerConfig: Record<string, unknown> }[];
};
type Resource = {
  component: string;
  props: Props;
  actions?: Record<string, { run: string; path?: string }[]>;
};
interface SYaml {
  edition: string;
  vars: Record<string, string>;
  resources: Record<string, Resource>;
}

/** `s preview -o json`, offline, with an empty HOME (a networked run would hit the 60 s timeout). */
function preview(): { status: number | null; stdout: string; stderr: string } {
  const home = join(scratch, 'home');
  mkdirSync(home, { recursive: true });
  const result = spawnSync(join(root, 'node_modules/.bin/s'), ['preview', '-o', 'json'], {
    cwd: root,
    env: { PATH: process.env['PATH'] ?? '', HOME: home, NO_COLOR: '1' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const raw = parse(readFileSync(join(root, 's.yaml'), 'utf8')) as SYaml;
const rendered = preview();
// A WARN line (e.g. about running as root) may precede the JSON document.
const resolved = JSON.parse(rendered.stdout.slice(rendered.stdout.indexOf('{'))) as SYaml;
const fc3 = Object.entries(resolved.resources).filter(([, resource]) => resource.component === 'fc3');
const functionDirs = readdirSync(join(root, 'functions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(root, 'functions', entry.name, 'index.ts')))
  .map((entry) => entry.name);

describe('s preview', () => {
  it('renders s.yaml offline with exit 0', () => {
    expect({ status: rendered.status, stderr: rendered.stderr }).toEqual({
      status: 0,
      stderr: expect.any(String),
    });
    expect(resolved.edition).toBe('3.0.0');
    expect(JSON.stringify(resolved)).not.toContain('${');
  });
});

describe('s.yaml functions', () => {
  it('declares one fc3 resource per functions/<name> folder and nothing else', () => {
    expect(fc3.map(([name]) => name).sort()).toEqual([...functionDirs].sort());
    expect(functionDirs).toEqual(expect.arrayContaining(['on-instance-created', 'sweep', 'workflow']));
  });

  it.each(fc3.map(([name, resource]) => [name, resource.props] as const))(
    '%s: code, runtime, handler, role',
    (name, props) => {
      expect(props.code).toBe(`./dist/functions/${name}`);
      expect(props.runtime).toBe('nodejs20');
      expect(props.handler).toBe('index.handler');
      expect(props.functionName).toBe(`ecs-role-attach-${name}`);
      expect(props['role']).toBe(resolved.vars['functionRoleArn']);
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Serverless Devs variable syntax, not a template.
      expect(raw.resources[name]?.props['role']).toBe('${vars.functionRoleArn}');
      expect(props['logConfig']).toBe('auto');
      expect(props['memorySize']).toEqual(expect.any(Number));
      expect(props['timeout']).toBeGreaterThanOrEqual(60);
    },
  );

  it.each(fc3.map(([name, resource]) => [name, resource.props] as const))(
    "%s: environment passes the functions' own validation",
    (_name, props) => {
      // FC injects FC_ACCOUNT_ID and FC_REGION itself (FC_* is reserved, see the deploy rules below).
      const config = loadFunctionConfig({
        ...props.environmentVariables,
        FC_ACCOUNT_ID: resolved.vars['accountId'],
        FC_REGION: String(props['region']),
      });
      expect(config.ramRoleName).toBe(resolved.vars['roleName']);
      expect(config.state).toEqual({
        kind: 'oss',
        bucket: resolved.vars['stateBucket'],
        prefix: resolved.vars['statePrefix'],
      });
      expect(config.accountId).toBe(resolved.vars['accountId']);
    },
  );

  it.each(functionDirs)('%s: the bundle exports handler', async (name) => {
    // CI builds dist in `npm ci` (prepare); locally bundle the same entry into a scratch dir when absent.
    let bundle = join(root, 'dist/functions', name, 'index.js');
    if (!existsSync(bundle)) {
      bundle = join(scratch, 'bundles', name, 'index.js');
      await build({
        entryPoints: [join(root, 'functions', name, 'index.ts')],
        outfile: bundle,
        bundle: true,
        platform: 'node',
        target: 'node20',
        format: 'cjs',
        logLevel: 'silent',
      });
    }
    const loaded = require(bundle) as { handler?: unknown };
    expect(typeof loaded.handler).toBe('function');
  });
});

describe('s.yaml triggers', () => {
  const triggers = fc3.flatMap(([, resource]) => resource.props.triggers ?? []);

  it('has the two EventBridge triggers and the timer trigger', () => {
    expect(triggers.map((t) => `${t.triggerType}:${t.triggerName}`).sort()).toEqual([
      'eventbridge:ecs-instance-created-api',
      'eventbridge:ecs-instance-running',
      'timer:daily-sweep',
    ]);
  });

  it.each(
    triggers
      .filter((t) => t.triggerType === 'eventbridge')
      .map((t) => [t.triggerName, t.triggerConfig] as const),
  )('%s: a JSON filter pattern on the default bus', (_name, config) => {
    expect(typeof config['eventRuleFilterPattern']).toBe('string');
    expect(() => JSON.parse(String(config['eventRuleFilterPattern']))).not.toThrow();
    expect(config['eventSourceConfig']).toEqual({ eventSourceType: 'Default' });
    expect(Object.keys(config).sort()).toEqual(
      [
        'asyncInvocationType',
        'eventRuleFilterPattern',
        'eventSinkConfig',
        'eventSourceConfig',
        'triggerEnable',
      ].sort(),
    );
    expect(config['triggerEnable']).toBe(true);
  });

  const patterns = triggers
    .filter((t) => t.triggerType === 'eventbridge')
    .map((t) => JSON.parse(String(t.triggerConfig['eventRuleFilterPattern'])) as Pattern);
  const routed = (event: Record<string, unknown>) => patterns.some((pattern) => matches(pattern, event));

  it('routes the events the on-instance-created decoder handles, and not others', () => {
    const wanted = [
      stateChangeEvent({ instanceId: 'i-run1' }),
      stateChangeEvent({ instanceId: 'i-run2', shape: 'notification' }),
      apiCallEvent({ instanceIds: ['i-a'] }),
      apiCallEvent({ instanceIds: ['i-b'], eventName: 'CreateInstance' }),
      apiCallEvent({ instanceIds: ['i-c'], eventType: 'ConsoleOperation' }),
    ];
    for (const event of wanted) {
      expect(routed(event)).toBe(true);
      expect(decodeInstanceEvents(event, { accountId: TEST_ACCOUNT_ID }).instances).toHaveLength(1);
    }
    // Every state change is routed (the pattern cannot see both data shapes); the function acts on Running only.
    const stopped = stateChangeEvent({ instanceId: 'i-s', state: 'Stopped', shape: 'notification' });
    expect(routed(stopped)).toBe(true);
    expect(decodeInstanceEvents(stopped, { accountId: TEST_ACCOUNT_ID }).ignored[0]?.reason).toBe(
      'NotRunning',
    );
    expect(routed(apiCallEvent({ instanceIds: ['i-x'], eventName: 'StopInstance' }))).toBe(false);
    expect(routed(otherEvent())).toBe(false);
  });

  it('routes the real payloads (test/fixtures/realEvents.ts) and the decoder takes their instances or role changes', () => {
    const accountId = '1690701234567830';
    const cases = [
      [
        envelope('actiontrail:ActionTrail:ConsoleOperation', AT_REC_RUN_INSTANCES_CONSOLE, { id: 'r1' }),
        true,
      ],
      [
        envelope('ecs:ActionTrail:ApiCall', AT_REC_RUN_INSTANCES_API_CALL_REFERENCED_ONLY, { id: 'r2' }),
        true,
      ],
      [envelope('actiontrail:ActionTrail:ApiCall', EB_AT_DELETE_DISK_API_CALL, { id: 'r3' }), false],
      ...(['DetachInstanceRamRole', 'AttachInstanceRamRole'] as const).map(
        (eventName) =>
          [
            envelope(
              'actiontrail:ActionTrail:ConsoleOperation',
              roleChangeRecord({ eventName, instanceIds: ['i-bp1drift'], ramRoleName: 'OtherRole' }),
              { id: `r-${eventName}` },
            ),
            true,
          ] as const,
      ),
      ...(['content', 'notification'] as const).map(
        (shape) =>
          [
            envelope('ecs:Instance:StateChange', stateChangeData(shape, 'Running', accountId), {
              id: `r-${shape}`,
              accountId,
            }),
            true,
          ] as const,
      ),
    ] as const;
    for (const [event, wanted] of cases) {
      expect(routed(event)).toBe(wanted);
      const account = String(event['aliyunaccountid']);
      if (wanted) {
        const decoded = decodeInstanceEvents(event, { accountId: account });
        expect(decoded.instances.length + decoded.changes.length).toBe(1);
      }
    }
    expect(REAL_ACCOUNT_ID).not.toBe(accountId);
  });

  it('pins the CloudEvents delivery the decoder expects', () => {
    for (const trigger of triggers.filter((t) => t.triggerType === 'eventbridge')) {
      expect(trigger.triggerConfig['eventSinkConfig']).toEqual({
        deliveryOption: { eventSchema: 'CloudEvents' },
      });
    }
  });

  it('the timer: 6-field cron and a payload the sweep accepts', () => {
    const timer = triggers.find((t) => t.triggerType === 'timer')!;
    expect(String(timer.triggerConfig['cronExpression']).trim().split(/\s+/)).toHaveLength(6);
    expect(timer.triggerConfig['enable']).toBe(true);
    const { request } = decodeSweepPayload(timer.triggerConfig['payload']);
    expect(request.role).toBe(resolved.vars['roleName']);
    expect(request.regions.length).toBeGreaterThan(0);
  });
});

/**
 * The rules the real deploy tools and services enforce (shared/research/deploy-conformance.md §1),
 * as one checker over the resolved s.yaml and the flow definition, so the test below can also show
 * that each rule catches a violation.
 */
const FLOW_REGIONS = [
  'cn-beijing',
  'cn-hangzhou',
  'cn-shanghai',
  'cn-qingdao',
  'cn-shenzhen',
  'ap-southeast-1',
  'us-west-1',
  'cn-heyuan-acdr-1',
];
type FlowDoc = { States: Record<string, unknown>[] };
function deployRuleViolations(syaml: SYaml, flow: FlowDoc): string[] {
  const violations: string[] = [];
  for (const [name, resource] of Object.entries(syaml.resources)) {
    if (resource.component === 'fc3') {
      for (const key of Object.keys(resource.props.environmentVariables ?? {})) {
        // "you cannot use environment variables with the reserved prefix FC_*" (FC environment variables)
        if (/^FC_/i.test(key))
          violations.push(`${name}: environment variable ${key} uses the reserved FC_ prefix`);
      }
    }
    if (resource.component === 'flow' && !FLOW_REGIONS.includes(String(resource.props['region']))) {
      // devsapp/fnf src/impl/base.ts validRegions
      violations.push(
        `${name}: the flow component does not deploy to region ${String(resource.props['region'])}`,
      );
    }
  }
  for (const state of flow.States) {
    if (state['Type'] !== 'Task') continue;
    const label = `flow state ${String(state['Name'])}`;
    if (state['Timeout'] === undefined) violations.push(`${label}: Task without Timeout`);
    for (const rule of (state['Retry'] ?? []) as Record<string, unknown>[]) {
      if (typeof rule['Description'] !== 'string' || rule['Description'] === '') {
        violations.push(`${label}: Retry rule without Description`);
      }
      for (const error of (rule['Errors'] ?? []) as string[]) {
        if (error === 'FC.Unknown' || error === 'FnF.TaskTimeout') {
          violations.push(`${label}: old-spec error name ${error}`);
        }
      }
    }
  }
  return violations;
}

describe('deploy rules of the real tools and services', () => {
  const flow = parse(readFileSync(join(root, 'workflows/bulk-attach.yaml'), 'utf8')) as FlowDoc;

  it('s.yaml and the flow break none of them', () => {
    expect(deployRuleViolations(resolved, flow)).toEqual([]);
  });

  it('each rule catches its violation', () => {
    const broken = structuredClone(resolved);
    broken.resources['sweep']!.props.environmentVariables['FC_ACCOUNT_ID'] = '1';
    const flowResource = Object.values(broken.resources).find((r) => r.component === 'flow')!;
    flowResource.props['region'] = 'eu-central-1';
    const brokenFlow = structuredClone(flow);
    const task = brokenFlow.States.find((state) => state['Name'] === 'Step')!;
    delete task['Timeout'];
    task['Retry'] = [{ Errors: ['FC.Unknown', 'FnF.TaskTimeout'], MaxAttempts: 1, IntervalSeconds: 1 }];
    expect(deployRuleViolations(broken, brokenFlow)).toEqual([
      'sweep: environment variable FC_ACCOUNT_ID uses the reserved FC_ prefix',
      'bulk-attach-flow: the flow component does not deploy to region eu-central-1',
      'flow state Step: Task without Timeout',
      'flow state Step: Retry rule without Description',
      'flow state Step: old-spec error name FC.Unknown',
      'flow state Step: old-spec error name FnF.TaskTimeout',
    ]);
  });

  it('the Route sends every non-terminal status the workflow function returns back into the loop', () => {
    const route = flow.States.find((state) => state['Name'] === 'Route') as {
      Branches: { Condition: string; Next: string }[];
    };
    const next = (status: string) =>
      route.Branches.find((branch) => branch.Condition === `$Input.status == "${status}"`)?.Next;
    expect(EXECUTION_STATUSES.map((status) => [status, next(status)])).toEqual([
      ['Planned', 'Step'],
      ['Running', 'Step'],
      ['Waiting', 'Await'],
      ['Success', 'Done'],
      ['Failed', undefined],
      ['Cancelled', 'ExecutionCancelled'],
    ]);
  });

  it("the function role may write logs to fc3's logConfig: auto logstore (default-logs)", () => {
    const policy = JSON.parse(readFileSync(join(root, 'policies/function-role-policy.json'), 'utf8')) as {
      Statement: { Action: string | string[]; Resource: string }[];
    };
    const log = policy.Statement.find((s) => [s.Action].flat().includes('log:PostLogStoreLogs'))!;
    const pattern = new RegExp(`^${log.Resource.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);
    expect('acs:log:<REGION>:<ACCOUNT_ID>:project/serverless-<REGION>-0a1b2c/logstore/default-logs').toMatch(
      pattern,
    );
  });
});

describe('the flow', () => {
  const flowResources = Object.values(resolved.resources).filter((resource) => resource.component === 'flow');
  const definitionText = readFileSync(join(root, 'workflows/bulk-attach.yaml'), 'utf8');

  it('is one flow resource whose definition is the rendered workflows/bulk-attach.yaml', () => {
    expect(flowResources).toHaveLength(1);
    const flow = flowResources[0]!;
    expect(flow.props['definition']).toBe('./dist/workflows/bulk-attach.yaml');
    expect(flow.props['roleArn']).toBe(resolved.vars['flowRoleArn']);
    expect(flow.props['name']).toBe((parse(definitionText) as { Name: string }).Name);
    expect(flow.actions?.['pre-deploy']?.[0]?.run).toBe(
      `node scripts/render-flow.mjs ${resolved.vars['region']} ${resolved.vars['accountId']} bulk-attach`,
    );
  });

  it('invokes only functions s.yaml defines, and the rendered ARNs name this region and account', () => {
    const invoked = new FlowInterpreter(definitionText, { handlers: {} }).invokedFunctions();
    const defined = fc3.map(([, resource]) => resource.props.functionName);
    expect(invoked.length).toBeGreaterThan(0);
    for (const name of invoked) expect(defined).toContain(name);

    const work = join(scratch, 'render');
    cpSync(join(root, 'workflows'), join(work, 'workflows'), { recursive: true });
    const run = spawnSync(
      process.execPath,
      [
        join(root, 'scripts/render-flow.mjs'),
        resolved.vars['region']!,
        resolved.vars['accountId']!,
        'bulk-attach',
      ],
      { cwd: work, encoding: 'utf8' },
    );
    expect(run.status).toBe(0);
    const renderedFlow = readFileSync(join(work, 'dist/workflows/bulk-attach.yaml'), 'utf8');
    expect(renderedFlow).not.toContain('${');
    const arns = [...renderedFlow.matchAll(/resourceArn: (\S+)/g)].map((m) => m[1]);
    expect(arns.length).toBe(3);
    for (const arn of arns) {
      expect(arn).toBe(
        `acs:fc:${resolved.vars['region']}:${resolved.vars['accountId']}:functions/ecs-role-attach-workflow/LATEST`,
      );
    }
    // The rendered flow is still exactly the subset the test interpreter runs.
    expect(() => new FlowInterpreter(renderedFlow, { handlers: {} })).not.toThrow();
  });
});

describe('policies', () => {
  type Statement = {
    Effect: string;
    Action: string | string[];
    Resource: string | string[];
    Condition?: unknown;
  };
  const load = (file: string) =>
    JSON.parse(readFileSync(join(root, 'policies', file), 'utf8')) as {
      Version: string;
      Statement: Statement[];
    };
  const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
  const fnPolicy = load('function-role-policy.json');

  it.each(['function-role-policy.json', 'operator-policy.json'])(
    '%s scopes ram:PassRole to exactly the designated role',
    (file) => {
      const passRole = load(file).Statement.filter((s) =>
        actions(s).some((a) => /^ram:(PassRole|\*)$|^\*$/.test(a)),
      );
      expect(passRole).toEqual([
        { Effect: 'Allow', Action: 'ram:PassRole', Resource: 'acs:ram:*:<ACCOUNT_ID>:role/<ROLE_NAME>' },
      ]);
    },
  );

  it("gives the operator the function role's grants except writing function logs", () => {
    const operator = load('operator-policy.json').Statement;
    expect(operator).toEqual(fnPolicy.Statement.filter((s) => !actions(s).includes('log:PostLogStoreLogs')));
  });

  it('grants exactly the actions the product uses, no wildcard actions', () => {
    const granted = fnPolicy.Statement.flatMap(actions).sort();
    expect(granted).toEqual(
      [
        'ecs:AttachInstanceRamRole',
        'ecs:DescribeInstanceRamRole',
        'ecs:DescribeInstances',
        'ecs:DetachInstanceRamRole',
        'fnf:ReportTaskFailed',
        'fnf:ReportTaskSucceeded',
        'log:PostLogStoreLogs',
        'oss:DeleteObject',
        'oss:GetObject',
        'oss:ListObjects',
        'oss:PutObject',
        'ram:GetRole',
        'ram:PassRole',
      ].sort(),
    );
    for (const statement of fnPolicy.Statement) expect(statement.Effect).toBe('Allow');
    const oss = fnPolicy.Statement.filter((s) => actions(s).some((a) => a.startsWith('oss:')));
    for (const statement of oss) expect(String(statement.Resource)).toContain('<STATE_BUCKET>');
  });

  it('organization scope: AssumeRole of one role name, RD reads; members trust the function role and get its ECS/RAM grants', () => {
    const organization = load('organization-policy.json').Statement;
    expect(organization.flatMap(actions).sort()).toEqual(
      [
        'resourcemanager:ListAccounts',
        'resourcemanager:ListAccountsForParent',
        'resourcemanager:ListFoldersForParent',
        'sts:AssumeRole',
      ].sort(),
    );
    expect(organization.find((st) => actions(st).includes('sts:AssumeRole'))?.Resource).toBe(
      'acs:ram::*:role/<ASSUME_ROLE>',
    );
    expect(load('member-role-policy.json').Statement).toEqual(
      fnPolicy.Statement.filter((st) =>
        actions(st).some((a) => a.startsWith('ecs:') || a.startsWith('ram:')),
      ),
    );
    // The emulator's AssumeRole trust check accepts the member trust policy for the function role's sessions.
    const trust = readFileSync(join(root, 'policies', 'member-trust-policy.json'), 'utf8').replace(
      /<MANAGEMENT_ACCOUNT_ID>/g,
      TEST_ACCOUNT_ID,
    );
    const session = fleetPrincipal(TEST_ACCOUNT_ID, {
      accessKeyId: 'STS.x',
      accessKeySecret: 's',
      securityToken: 't',
    });
    expect(trustsPrincipal(trust, session)).toBe(true);
    expect(trustsPrincipal(trust, { ...session, roleArn: `acs:ram::${TEST_ACCOUNT_ID}:role/other` })).toBe(
      false,
    );
  });

  it('trust policies name FC and CloudFlow, and the flow may only invoke the workflow function', () => {
    const principal = (file: string) =>
      load(file).Statement.map((s) => (s as unknown as { Principal: unknown }).Principal);
    expect(principal('function-trust-policy.json')).toEqual([{ Service: ['fc.aliyuncs.com'] }]);
    expect(principal('flow-trust-policy.json')).toEqual([{ Service: ['fnf.aliyuncs.com'] }]);
    const flowPolicy = load('flow-role-policy.json');
    expect(flowPolicy.Statement.flatMap(actions)).toEqual(['fc:InvokeFunction']);
    for (const resource of flowPolicy.Statement.flatMap((s) =>
      Array.isArray(s.Resource) ? s.Resource : [s.Resource],
    )) {
      expect(resource).toMatch(/^acs:fc:<REGION>:<ACCOUNT_ID>:functions\/ecs-role-attach-workflow(\/\*)?$/);
    }
  });
});

/**
 * EventBridge pattern matching for the operators s.yaml uses (EventBridge "Event patterns",
 * help.aliyun.com/en/eventbridge/user-guide/event-patterns): every key of the pattern must match (AND);
 * a nested object matches the event's nested object of the same name ("A pattern must share the same
 * nested structure as the events it matches"); an array lists alternatives (OR), each an exact value
 * or `{"prefix": ...}` / `{"suffix": ...}`. Keys the pattern does not name are not looked at.
 */
type Pattern = { [key: string]: Pattern | (string | { prefix?: string; suffix?: string })[] };
function matches(pattern: Pattern, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, rule]) => {
    const value = event[key];
    if (!Array.isArray(rule)) {
      return (
        value !== null &&
        typeof value === 'object' &&
        !Array.isArray(value) &&
        matches(rule, value as Record<string, unknown>)
      );
    }
    // An array-valued event field matches when any of its elements does.
    const values = Array.isArray(value) ? value : [value];
    return rule.some((option) => values.some((one) => matchesValue(option, one)));
  });
}
function matchesValue(option: string | { prefix?: string; suffix?: string }, value: unknown): boolean {
  if (typeof option === 'string') return value === option;
  if (typeof value !== 'string') return false;
  if (option.prefix !== undefined) return value.startsWith(option.prefix);
  if (option.suffix !== undefined) return value.endsWith(option.suffix);
  throw new Error(`unsupported pattern operator ${JSON.stringify(option)}`);
}
