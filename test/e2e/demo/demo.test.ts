/**
 * `npm start` = `ecs-role-attach demo`, run non-interactively through the CLI's main (the same code
 * the binary runs): exit 0, the four narrated steps, the final compliance report, and the emulator's
 * truth agreeing with it. The emulator is in-process and closed by the demo (jest would report an
 * open handle otherwise).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempState } from '../../helpers/cli';

describe('ecs-role-attach demo', () => {
  it('tells the whole story and exits 0', async () => {
    const state = tempState();
    const result = await runCli(['demo', '--yes', '--state', state]);
    expect(result.code).toBe(0);
    const out = result.stdout;
    // Step 1: the OOS parameters, verbatim, in FailurePause.
    expect(out).toContain(
      '{"Mode":"Batch","Batch":[1,"5%","10%"],"MaxErrors":0,"BatchPauseOption":"Automatic"}',
    );
    // Step 2: paused on the failing instance, with the next command, then continued to Success.
    expect(out).toMatch(/Step 2 — the execution is Waiting/);
    expect(out).toContain('InstanceLockedForSecurity (1)');
    expect(out).toMatch(/next: ecs-role-attach resume exec-\S+ --state /);
    expect(out).toContain('continuing automatically');
    expect(out).toMatch(/After `continue`[\s\S]*: Success/);
    // Step 3: new instances handed to on-instance-created.
    expect(out).toMatch(/Step 3 — 3 new instances/);
    expect(out).toMatch(/on-instance-created (answered|is still a placeholder|failed)/);
    // Step 4: compliance report for both regions; totals agree with the emulator's truth.
    expect(out).toContain('Sweep of role EcsAppRole');
    expect(out).toMatch(/cn-hangzhou: \w+/);
    expect(out).toMatch(/cn-shanghai: Success/);
    expect(out).toMatch(/sources: \d+ launch templates without the role/);
    expect(out).toMatch(/Step 5 — fix the sources/);
    expect(out).toMatch(
      /templates: launch templates and scaling configurations carrying role EcsAppRole[\s\S]*updated 2/,
    );
    expect(out).toMatch(/harden-metadata: metadata security hardening mode[\s\S]*: Success/);
    expect(out).toMatch(/rollback of exec-\S+ \(harden-metadata\)/);
    const total = /total: (\d+) evaluated, (\d+) bear EcsAppRole now/.exec(out);
    const truth = /Emulator truth: (\d+) of (\d+) instances bear EcsAppRole/.exec(out);
    expect(total).not.toBeNull();
    expect(truth).not.toBeNull();
    expect(total![2]).toBe(truth![1]);
    expect(Number(truth![2])).toBe(303);
    // It ends with the console's URL (token included) and does not wait, not being on a terminal.
    expect(out).toMatch(/ecs-role-attach console: http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64}\n/);
    expect(out.trimEnd().split('\n').at(-1)).toContain(`ecs-role-attach console --state ${state}`);
    // The failing instance is the only eligible one left without the role.
    expect(out).toMatch(/failed 1(?!\d)/);
    // State went where asked: batch execution + one sweep execution per region (+ the event path's records).
    const executions = readdirSync(join(state, 'executions'));
    expect(executions.length).toBeGreaterThanOrEqual(3);
    // stdout is narration only; structured logs and progress went to stderr.
    expect(out).not.toContain('"level"');
  }, 60_000);
});
