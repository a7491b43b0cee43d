/**
 * Every command refuses a bad value with exit 2 and one line naming the flag (or argument), the rule and
 * the value; never a stack trace, nothing written to stdout (issue #16: `resume-events --role '../x'` and
 * `status ../x` used to print a RangeError stack and exit 1).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, tempState } from '../../helpers/cli';

const R = ['--region', 'cn-hangzhou'];
/** A file of plain text, not a rules document (YAML reads it as the string "vm"). */
const RULES_TEXT = join(mkdtempSync(join(tmpdir(), 'era-rules-')), 'rules.yaml');
writeFileSync(RULES_TEXT, 'vm\n');
const ALL = ['--targets', '{"Type":"All"}'];

const CASES: [string, string[], string][] = [
  ['resume-events --role ../x', ['resume-events', ...R, '--role', '../x'], '--role'],
  ['resume-events --role ..', ['resume-events', ...R, '--role', '..'], '--role'],
  ['resume-events --region', ['resume-events', '--region', 'Hangzhou', '--role', 'R'], '--region'],
  [
    'resume-events --on-conflict',
    ['resume-events', ...R, '--role', 'R', '--on-conflict', 'overwrite'],
    '--on-conflict',
  ],
  [
    'resume-events --exclude-tag',
    ['resume-events', ...R, '--role', 'R', '--exclude-tag', '=v'],
    '--exclude-tag',
  ],
  ['resume-events --rules (plain text)', ['resume-events', ...R, '--rules', RULES_TEXT], '--rules'],
  ['resume-events --endpoint', ['resume-events', ...R, '--role', 'R', '--endpoint', 'ftp://x'], '--endpoint'],
  ['status <executionId>', ['status', '../x'], '<executionId>'],
  ['resume <executionId>', ['resume', 'a/b'], '<executionId>'],
  ['retry <executionId>', ['retry', '.'], '<executionId>'],
  ['cancel <executionId>', ['cancel', '..'], '<executionId>'],
  ['rollback <executionId>', ['rollback', '../x'], '<executionId>'],
  ['report <executionId>', ['report', '../x'], '<executionId>'],
  ['run --role ..', ['run', ...R, '--role', '..', ...ALL], '--role'],
  ['run --qps', ['run', ...R, '--role', 'R', ...ALL, '--qps', 'Attach=abc'], '--qps'],
  ['run --endpoint', ['run', ...R, '--role', 'R', ...ALL, '--endpoint', 'http://x/api'], '--endpoint'],
  ['run --max-targets', ['run', ...R, '--role', 'R', ...ALL, '--max-targets', 'ten'], '--max-targets'],
  ['run --exclude-ids', ['run', ...R, '--role', 'R', ...ALL, '--exclude-ids', 'vm-1'], '--exclude-ids'],
  [
    'run --rate-control',
    ['run', ...R, '--role', 'R', ...ALL, '--rate-control', '{"Mode":"Batch"}'],
    '--rate-control Batch',
  ],
  ['run --notify', ['run', ...R, '--role', 'R', ...ALL, '--notify', 'ftp://x'], '--notify'],
  ['run --accounts', ['run', ...R, '--role', 'R', ...ALL, '--accounts', 'bogus'], '--accounts'],
  ['sweep --fix', ['sweep', ...R, '--role', 'R', '--fix', 'everything'], '--fix[0]'],
  ['sweep --max-targets', ['sweep', ...R, '--role', 'R', '--max-targets', '0'], '--max-targets'],
  ['sweep --qps', ['sweep', ...R, '--role', 'R', '--qps', 'default=0'], '--qps default'],
  [
    'sweep --assume-role',
    ['sweep', ...R, '--role', 'R', '--accounts', 'all', '--assume-role', '..'],
    '--assume-role',
  ],
  ['harden-metadata --region', ['harden-metadata', '--region', 'a,b', ...ALL], '--region'],
  ['templates --role', ['templates', ...R, '--role', '..'], '--role'],
  ['doctor --region', ['doctor', '--region', 'Hangzhou', '--role', 'R'], '--region'],
  ['list --state', ['list', '--state', 'oss://Bad_Bucket'], '--state'],
  ['console --port', ['console', '--port', 'abc'], '--port'],
  ['demo --instances', ['demo', '--instances', 'lots'], '--instances'],
];

/** Commands that keep state get a fresh directory (a bad value must leave it as it is). */
const TAKES_STATE = new Set([
  'resume-events',
  'status',
  'resume',
  'retry',
  'cancel',
  'rollback',
  'report',
  'run',
  'sweep',
  'harden-metadata',
  'templates',
]);

describe('bad input: exit 2, the flag named, no stack trace', () => {
  it.each(CASES)('%s', async (_label, args, flag) => {
    const state = TAKES_STATE.has(args[0]!) ? ['--state', tempState()] : [];
    const result = await runCli([...args, ...state]);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 2, stdout: '' });
    expect(result.stderr).toMatch(/^ecs-role-attach: \S/);
    expect(result.stderr.startsWith(`ecs-role-attach: ${flag} `)).toBe(true);
    expect(result.stderr).toMatch(/, got .*; nothing was changed\.\n$/s);
    // One line: no stack trace, no error class name.
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/Error:|\n\s+at /);
  });
});
