/**
 * The CLI in a real terminal: tmux runs the built binary against the emulator (real SDKs over HTTP) with
 * injected per-instance failures, and the pane is read with `capture-pane` while it runs and after.
 * Warnings logged during the progress bar are readable lines above it (one per failed instance), the bar
 * is never torn, and `--log-format json` (or a stderr that is not a terminal) keeps pino JSON lines for
 * pipelines.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { EmulatorHandle } from '../../../src/emulator/index';
import { builtCliEnv, cliFleet, fleetId, tempState } from '../../helpers/cli';
import { DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';
import { describeWithTmux, TmuxPane } from '../../helpers/tmux';

const BIN = join(__dirname, '../../../bin/ecs-role-attach.js');
const FAILING: Record<string, string> = {
  [fleetId(30)]: 'InternalError.Forced',
  [fleetId(77)]: 'InvalidInstance.NotFound',
  [fleetId(120)]: 'InternalError.Forced',
  [fleetId(199)]: 'IncorrectInstanceStatus',
};
const FLEET = 200;
const COLUMNS = 220;

/** `12:04:31 WARN  <message>  executionId=…  instanceId=…  code=…` */
const WARNING = /^\d\d:\d\d:\d\d WARN {2}(.+?) {2}executionId=(exec-\S+) {2}instanceId=(\S+) {2}code=(\S+)$/;
/** The cli-progress bar (24 cells of `=` done, `-` to do): `exec-… batch k/n <bar> done/total rate/s errors e/MaxErrors`. */
const BAR = /^(exec-\S+) batch (\d+)\/(\d+) ([=-]{24}) (\d+)\/(\d+) (\S+)\/s errors (\d+)\/(\d+)$/;

describeWithTmux('the CLI in a terminal (tmux)', (tmux) => {
  let emulator: EmulatorHandle;
  let pane: TmuxPane | undefined;

  beforeAll(async () => {
    emulator = await startTestEmulator({
      fleet: cliFleet(FLEET),
      // Slow enough (25 ms a call, ~40 calls) for the bar to be drawn while warnings arrive.
      faults: { latencyMs: 25, instanceErrors: FAILING },
    });
  });
  afterEach(async () => {
    await pane?.close();
    pane = undefined;
  });
  afterAll(async () => {
    await emulator?.close();
  });

  /** A script for the pane: the emulator's credentials, then the CLI, then its exit code. */
  function script(...args: string[]): string {
    const env = Object.entries(builtCliEnv())
      .map(([key, value]) => `export ${key}='${value}'`)
      .join('\n');
    const quoted = args.map((arg) => `'${arg.replace(/'/g, "'\\''")}'`).join(' ');
    const file = join(mkdtempSync(join(tmpdir(), 'era-tmux-')), 'run.sh');
    writeFileSync(
      file,
      `${env}\nunset NO_COLOR\n'${process.execPath}' '${BIN}' ${quoted}\necho "[exit $?]"\n`,
    );
    return file;
  }

  const runArgs = (state: string, ...extra: string[]) => [
    'run',
    '--region',
    'cn-hangzhou',
    '--role',
    DESIGNATED_ROLE,
    '--targets',
    '{"Type":"All"}',
    '--rate-control',
    '{"Mode":"Batch","Batch":[1,"25%"],"ConcurrencyInBatches":10,"MaxErrors":10}',
    '--endpoint',
    emulator.endpoint,
    '--state',
    state,
    ...extra,
  ];

  const exited = (lines: string[]) => lines.some((line) => /^\[exit \d+\]$/.test(line));

  it('prints one readable line per warning above the progress bar, which stays whole', async () => {
    pane = await TmuxPane.start(tmux, script(...runArgs(tempState())), { columns: COLUMNS, rows: 60 });
    const screens = await pane.until(exited);
    const last = screens.at(-1)!;

    // Every screen, while running and after: no JSON log, no line holding both a warning and the bar.
    for (const screen of screens) {
      for (const line of screen) {
        expect(line).not.toContain('{"level"');
        if (line.includes('WARN')) expect(line).toMatch(WARNING);
        if (/ batch \d+\/\d+ /.test(line)) expect(line).toMatch(BAR);
      }
    }
    // The bar was on screen while the run went on (before the exit line appeared).
    expect(screens.slice(0, -1).some((screen) => screen.some((line) => BAR.test(line)))).toBe(true);

    const warnings = last.filter((line) => WARNING.test(line));
    expect(warnings).toHaveLength(Object.keys(FAILING).length);
    const parsed = warnings.map((line) => WARNING.exec(line)!);
    expect(Object.fromEntries(parsed.map((m) => [m[3], m[4]]))).toEqual(FAILING);
    expect(parsed.find((m) => m[3] === fleetId(77))![1]).toBe(
      `Injected fault InvalidInstance.NotFound for ${fleetId(77)}.`,
    );

    const bars = last.map((line, index) => [index, BAR.exec(line)] as const).filter(([, m]) => m !== null);
    expect(bars).toHaveLength(1);
    const [barIndex, bar] = bars[0]!;
    const executionId = parsed[0]![2];
    // batch 5/5 (1, then 25% of 200: 50, 50, 50, 49), every instance done, 4 errors of MaxErrors 10.
    expect([bar![1], bar![2], bar![3], bar![5], bar![6], bar![8], bar![9]]).toEqual([
      executionId,
      '5',
      '5',
      String(FLEET),
      String(FLEET),
      '4',
      '10',
    ]);
    expect(bar![4]).toBe('='.repeat(24));
    const reportIndex = last.findIndex((line) => line.startsWith(`Execution ${executionId}: Success`));
    for (const line of warnings) expect(last.indexOf(line)).toBeLessThan(barIndex);
    expect(reportIndex).toBeGreaterThan(barIndex);
    expect(last).toContain('[exit 0]');
  }, 60_000);

  it('keeps pino JSON lines with --log-format json on a terminal', async () => {
    pane = await TmuxPane.start(tmux, script(...runArgs(tempState(), '--log-format', 'json', '--quiet')), {
      columns: 400,
      rows: 60,
    });
    const last = (await pane.until(exited)).at(-1)!;
    const logs = last.filter((line) => line.startsWith('{'));
    expect(logs).toHaveLength(Object.keys(FAILING).length);
    const entries = logs.map(
      (line) => JSON.parse(line) as { level: number; instanceId: string; code: string },
    );
    expect(Object.fromEntries(entries.map((e) => [e.instanceId, e.code]))).toEqual(FAILING);
    expect(entries.every((e) => e.level === 40)).toBe(true);
  }, 60_000);

  it('writes pino JSON lines when stderr is not a terminal, and text lines with --log-format text', async () => {
    const run = promisify(execFile);
    const json = await run(process.execPath, [BIN, ...runArgs(tempState(), '--quiet')], {
      env: builtCliEnv(),
    });
    const lines = json.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(Object.keys(FAILING).length);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ level: 40, msg: expect.any(String) });

    const text = await run(
      process.execPath,
      [BIN, ...runArgs(tempState(), '--quiet', '--log-format', 'text')],
      {
        env: builtCliEnv(),
      },
    );
    const textLines = text.stderr.trimEnd().split('\n');
    expect(textLines).toHaveLength(Object.keys(FAILING).length);
    for (const line of textLines) expect(line).toMatch(WARNING);
  }, 60_000);
});
