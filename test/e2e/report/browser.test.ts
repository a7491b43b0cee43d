/// <reference lib="dom" />
/**
 * The HTML export in a real browser: Debian's Chromium (puppeteer-core) opens the file the CLI wrote for
 * an execution it ran against the emulator (real SDKs), and the rendered text is compared with the
 * execution's own report: the summary, every instance row, the outcomes per batch (chart and table) and
 * the failures by code. The file fetches nothing (no request but the file itself), an ECS message with
 * markup stays text, and in print media it fits an A4 page's width with the table header repeated.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import type { EmulatorHandle } from '../../../src/emulator/index';
import type { ExecutionReport } from '../../../src/engine/index';
import { describeWithChromium, launchChromium } from '../../helpers/browser';
import {
  cliFleet,
  emulatorFlags,
  fleetId,
  runCli,
  tempState,
  useEmulatorCredentials,
} from '../../helpers/cli';
import { DESIGNATED_ROLE, startTestEmulator } from '../../helpers/emulator';

/** An ECS message carrying markup and a script: it must render as text. */
const HOSTILE = '<img src=x onerror="document.title=1"><script>document.title="pwned"</script> & "more"';

describeWithChromium('the HTML report in Chromium', (chromium) => {
  let emulator: EmulatorHandle;
  let browser: Browser;
  let page: Page;
  let report: ExecutionReport;
  const requests: string[] = [];

  beforeAll(async () => {
    useEmulatorCredentials();
    emulator = await startTestEmulator({
      fleet: cliFleet(24, {
        [fleetId(2)]: { RamRoleName: DESIGNATED_ROLE },
        [fleetId(3)]: { RamRoleName: 'OtherEcsRole' },
      }),
      faults: {
        instanceErrors: {
          [fleetId(7)]: { Code: 'InvalidInstance.NotFound', Message: HOSTILE },
          [fleetId(8)]: 'InternalError.Forced',
          [fleetId(15)]: 'InternalError.Forced',
        },
      },
    });
    const state = tempState();
    const run = await runCli([
      'run',
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
      '--targets',
      '{"Type":"All"}',
      '--rate-control',
      '{"Mode":"Batch","Batch":[1,"50%"],"MaxErrors":5}',
      ...emulatorFlags(emulator, state),
      '--output',
      'json',
      '--quiet',
    ]);
    report = run.json<ExecutionReport>();
    const exported = await runCli(['report', report.executionId, '--format', 'html', '--state', state]);
    expect(exported.code).toBe(0);
    const file = join(mkdtempSync(join(tmpdir(), 'era-report-')), 'report.html');
    writeFileSync(file, exported.stdout);
    browser = await launchChromium(chromium);
    page = await browser.newPage();
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  }, 60_000);

  /** What a reader sees in each cell of the rows `selector` matches (innerText: the text as rendered). */
  const cells = (selector: string) =>
    page.$$eval(selector, (rows) =>
      rows.map((row) =>
        // biome-ignore lint/performance/useDomNodeTextContent: the point is the text as rendered, CSS applied
        Array.from(row.querySelectorAll('th, td'), (cell) => (cell as HTMLElement).innerText),
      ),
    );

  afterAll(async () => {
    await browser?.close();
    await emulator?.close();
  });

  it('fetches nothing but itself and runs no script', async () => {
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatch(/^file:\/\/.*report\.html$/);
    expect(await page.title()).toBe(`ecs-role-attach report: ${report.executionId}`);
    expect(await page.$$eval('script, img, link, iframe, object', (found) => found.length)).toBe(0);
  });

  it('shows the summary of the execution', async () => {
    const text = await page.evaluate(() => document.body.textContent ?? '');
    expect(report.status).toBe('Success');
    expect(report.counts).toMatchObject({
      total: 24,
      attached: 19,
      alreadyAttached: 1,
      skipped: 1,
      failed: 3,
    });
    expect(text).toContain(`ecs-role-attach report: ${report.executionId}`);
    const totals = await page.$$eval('dl.totals div', (divs) =>
      divs.map((d) => [d.querySelector('dt')?.textContent, d.querySelector('dd')?.textContent]),
    );
    expect(Object.fromEntries(totals)).toEqual({
      Instances: '24',
      Attached: '19',
      AlreadyAttached: '1',
      Skipped: '1',
      Failed: '3',
    });
  });

  it('lists every instance with the outcome and code the execution recorded; markup in a message stays text', async () => {
    const rows = await cells('section[aria-labelledby="instances"] tbody tr');
    // Region, execution, batch, instance, role, outcome, reason / code, message, previous role.
    expect(rows.map((r) => [r[3], r[5], r[6]])).toEqual(
      report.instances.map((i) => [i.instanceId, i.outcome, i.reason ?? i.code ?? '']),
    );
    const hostile = rows.find((r) => r[3] === fleetId(7))!;
    expect(hostile[7]).toBe(HOSTILE);
    expect(await page.title()).not.toBe('pwned');
    expect(rows.find((r) => r[3] === fleetId(3))![8]).toBe('OtherEcsRole');
  });

  it('charts the outcomes per batch as the batches table says, and the failures by code', async () => {
    // Planned: a canary of 1, then 50% of the 22 instances needing a write: 11, then the 10 left.
    expect(report.batches.map((b) => b.size)).toEqual([1, 11, 10]);
    const table = await cells('section[aria-labelledby="batches"] tbody tr');
    const header = await page.$$eval('section[aria-labelledby="batches"] thead th', (ths) =>
      ths.map((th) => th.textContent),
    );
    expect(header).toEqual(['Batch', 'Size', 'Status', 'Attached', 'Failed']);
    // The instance rows (checked against the execution's report above) counted per batch and outcome.
    const rows = await cells('section[aria-labelledby="instances"] tbody tr');
    const count = (batch: string, outcome: string) =>
      String(rows.filter((r) => r[2] === batch && r[5] === outcome).length);
    expect(table).toEqual(
      ['1', '2', '3'].map((n, i) => [
        `#${n}`,
        String(report.batches[i]!.size),
        report.batches[i]!.status,
        count(n, 'Attached'),
        count(n, 'Failed'),
      ]),
    );
    expect(table.reduce((n, r) => n + Number(r[4]), 0)).toBe(3);
    // Each coloured segment of the chart says what it counts; they add up to the table.
    const segments = await page.$$eval('section[aria-labelledby="batches"] svg rect title', (titles) =>
      titles.map((t) => t.textContent),
    );
    const expected = table.flatMap((r, i) => [
      ...(Number(r[3]) > 0 ? [`Batch ${i + 1}: ${r[3]} Attached`] : []),
      ...(Number(r[4]) > 0 ? [`Batch ${i + 1}: ${r[4]} Failed`] : []),
    ]);
    expect(segments.sort()).toEqual(expected.sort());
    const heights = await page.$$eval('section[aria-labelledby="batches"] svg rect', (rects) =>
      rects.map((r) => r.getBoundingClientRect().height),
    );
    expect(heights.every((h) => h > 0)).toBe(true);

    const failures = await cells('section[aria-labelledby="failures"] tbody tr');
    expect(failures.map((r) => [r[0], r[1]])).toEqual([
      ['InternalError.Forced', '2'],
      ['InvalidInstance.NotFound', '1'],
    ]);
    const bars = await page.$$eval('section[aria-labelledby="failures"] svg rect title', (titles) =>
      titles.map((t) => t.textContent),
    );
    expect(bars).toEqual(['InternalError.Forced: 2', 'InvalidInstance.NotFound: 1']);
  });

  it('prints on A4: nothing wider than the page, the instance table header repeated, colours kept', async () => {
    await page.emulateMediaType('print');
    // A4 is 210 mm wide; less 2 x 12 mm of margin that is 186 mm, 703 CSS px.
    await page.setViewport({ width: 703, height: 1000 });
    const layout = await page.evaluate(() => {
      const thead = document.querySelector('section[aria-labelledby="instances"] thead')!;
      const failed = document.querySelector('svg rect.o-failed')!;
      return {
        scrollWidth: document.documentElement.scrollWidth,
        thead: getComputedStyle(thead).display,
        printColors: getComputedStyle(document.body).getPropertyValue('print-color-adjust'),
        failedFill: getComputedStyle(failed).fill,
      };
    });
    expect(layout.scrollWidth).toBeLessThanOrEqual(703);
    expect(layout.thead).toBe('table-header-group');
    expect(layout.printColors).toBe('exact');
    expect(layout.failedFill).toBe('rgb(207, 34, 46)');
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    expect(Buffer.from(pdf).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });
});
