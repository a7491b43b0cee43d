/// <reference lib="dom" />
/**
 * The console in a real browser: Debian's Chromium driven by puppeteer-core, over a store the CLI filled
 * against the emulator (real SDKs, signed HTTP). Clicks continue on a paused execution and watches it
 * finish without a reload, pages and searches through a 10,000-instance execution, and checks screenshots
 * of every page for their key elements (where they are on the page and that they are drawn there, in
 * their colours; not pixel by pixel).
 *
 * `CONSOLE_SCREENSHOTS=docs npx jest test/e2e/console` also writes the screenshots the README shows.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import type { ConsoleHandle } from '../../../src/cli/console/server';
import { startConsole } from '../../../src/cli/console/server';
import type { EmulatorHandle } from '../../../src/emulator/index';
import { openExecutionStore } from '../../../src/store/index';
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

const BIG = 10_000;
/** The paused execution's ten instances and the one that fails in it. */
const PAUSED = Array.from({ length: 10 }, (_, i) => fleetId(BIG + i));
const PAUSED_FAILING = fleetId(BIG + 2);
/** Instances the sweeps cover, in two regions; one bears another role (never compliant under skip). */
const SWEPT = Array.from({ length: 12 }, (_, i) => fleetId(BIG + 20 + i));
const SWEEP_FAILING = SWEPT[1]!;
/** Failures in the big execution (within its MaxErrors). */
const BIG_FAILING = [fleetId(17), fleetId(4242), fleetId(9999)];

const COLOURS = {
  ok: [0x1a, 0x7f, 0x37],
  bad: [0xcf, 0x22, 0x2e],
  warn: [0x9a, 0x67, 0x00],
  run: [0x09, 0x69, 0xda],
  magenta: [0xbf, 0x39, 0x89],
} as const;

describeWithChromium('the console in Chromium', (chromium) => {
  let emulator: EmulatorHandle;
  let state: string;
  let console: ConsoleHandle;
  let browser: Browser;
  let page: Page;
  let bigId: string;
  const scratchPages: Page[] = [];
  let pausedId: string;
  const shots = process.env['CONSOLE_SCREENSHOTS']
    ? resolve(process.env['CONSOLE_SCREENSHOTS'])
    : mkdtempSync(join(tmpdir(), 'era-console-shots-'));

  const run = async (...args: string[]) => {
    const result = await runCli([
      ...args,
      ...emulatorFlags(emulator, state),
      '--qps',
      'DescribeInstances=2000,DescribeInstanceRamRole=2000,AttachInstanceRamRole=2000',
      '--output',
      'json',
      '--quiet',
    ]);
    return result;
  };

  beforeAll(async () => {
    useEmulatorCredentials();
    const overrides: Parameters<typeof cliFleet>[1] = {};
    for (const id of SWEPT.slice(6)) overrides[id] = { RegionId: 'cn-shanghai' };
    for (const id of SWEPT) overrides[id] = { ...overrides[id], Tags: { team: 'swept' } };
    overrides[SWEPT[4]!] = { ...overrides[SWEPT[4]!], RamRoleName: 'OtherEcsRole' };
    emulator = await startTestEmulator({
      fleet: cliFleet(BIG + 40, overrides),
      faults: {
        instanceErrors: Object.fromEntries(
          [...BIG_FAILING, PAUSED_FAILING, SWEEP_FAILING].map((id) => [id, 'InvalidInstance.Locked']),
        ),
      },
    });
    state = tempState();
    const big = await run(
      'run',
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
      '--targets',
      JSON.stringify({ Type: 'ResourceIds', ResourceIds: Array.from({ length: BIG }, (_, i) => fleetId(i)) }),
      '--rate-control',
      JSON.stringify({ Mode: 'Batch', Batch: ['10%'], MaxErrors: 10 }),
    );
    expect(big.json()).toMatchObject({ status: 'Success', counts: { total: BIG, failed: 3 } });
    bigId = big.json<{ executionId: string }>().executionId;
    // Two sweeps of both regions: the first meets a failure, the second finds it attachable.
    const sweep = () =>
      run(
        'sweep',
        '--region',
        'cn-hangzhou,cn-shanghai',
        '--role',
        DESIGNATED_ROLE,
        '--targets',
        JSON.stringify({ Type: 'Tags', Tags: [{ Key: 'team', Value: 'swept' }] }),
      );
    expect((await sweep()).json()).toMatchObject({ totals: { evaluated: 12, failed: 1 } });
    emulator.setFaults({ instanceErrors: { [SWEEP_FAILING]: null } });
    expect((await sweep()).json()).toMatchObject({ totals: { evaluated: 12, failed: 0 } });
    const paused = await run(
      'run',
      '--region',
      'cn-hangzhou',
      '--role',
      DESIGNATED_ROLE,
      '--targets',
      JSON.stringify({ Type: 'ResourceIds', ResourceIds: PAUSED }),
      '--rate-control',
      JSON.stringify({ Mode: 'Batch', Batch: [1, 4], MaxErrors: 0 }),
      '--mode',
      'FailurePause',
    );
    expect(paused.json()).toMatchObject({ status: 'Waiting' });
    pausedId = paused.json<{ executionId: string }>().executionId;

    console = await startConsole({ state, endpoint: emulator.endpoint, pollMs: 200 });
    browser = await launchChromium(chromium);
    page = await browser.newPage();
    // The printed URL: the token moves into a cookie and out of the address bar.
    await page.goto(console.url);
    expect(page.url()).toBe(`${console.origin}/`);
    mkdirSync(shots, { recursive: true });
    // The setup drives the CLI over ~10,000 instances and starts Chromium: on a loaded 2-core CI machine it
    // took over the 60 s default (a hook budget, not a timing assertion).
  }, 240_000);

  afterEach(async () => {
    for (const scratch of scratchPages.splice(0)) await scratch.close();
  });

  afterAll(async () => {
    await browser?.close();
    await console?.close();
    await emulator?.close();
  });

  /** A full-page screenshot, written to the screenshots folder and decoded to pixels in the browser. */
  async function screenshot(name: string): Promise<Screenshot> {
    const png = Buffer.from(await page.screenshot({ fullPage: true, type: 'png' }));
    writeFileSync(join(shots, `console-${name}.png`), png);
    const shot = await decode(browser, png, scratchPages);
    // The scratch page took the foreground; input goes to the page under test again.
    await page.bringToFront();
    return shot;
  }

  /** Where an element is on the full page (CSS pixels = screenshot pixels at scale 1). */
  async function boxOf(selector: string): Promise<Box> {
    const box = await page.$eval(selector, (element) => {
      const rect = element.getBoundingClientRect();
      return {
        x: rect.left + window.scrollX,
        y: rect.top + window.scrollY,
        width: rect.width,
        height: rect.height,
      };
    });
    expect(box.width).toBeGreaterThan(0);
    expect(box.height).toBeGreaterThan(0);
    return box;
  }

  /** Asserts that the element is drawn in the screenshot: not blank there, and in `colour` if given. */
  async function expectDrawn(shot: Screenshot, selector: string, colour?: readonly number[]): Promise<void> {
    const box = await boxOf(selector);
    const { distinct, near } = await shot.region(box, colour);
    expect([selector, distinct > 1]).toEqual([selector, true]);
    if (colour) expect([selector, near >= 30]).toEqual([selector, true]);
  }

  /** The element's text, read in one evaluation (a live region may be swapped between two round trips). */
  const text = async (selector: string): Promise<string> => {
    const found = await page.evaluate((css) => {
      const element = document.querySelector(css);
      return element ? (element.textContent ?? '').replace(/\s+/g, ' ').trim() : null;
    }, selector);
    expect([selector, found === null]).toEqual([selector, false]);
    return found ?? '';
  };

  it('lists the executions newest first and filters them by status', async () => {
    await page.goto(`${console.origin}/`);
    const ids = await page.$$eval('table.list tbody th a', (links) => links.map((a) => a.textContent));
    expect(ids[0]).toBe(pausedId);
    expect(ids).toContain(bigId);
    expect(ids).toHaveLength(6);
    const shot = await screenshot('executions');
    await expectDrawn(shot, 'table.list tbody tr:first-child .badge', COLOURS.warn);
    await expectDrawn(shot, 'nav[aria-label="Console"]');
    await expectDrawn(shot, 'form.filters');
    await page.select('#status', 'Waiting');
    await Promise.all([page.waitForNavigation(), page.click('form.filters button')]);
    expect(page.url()).toBe(`${console.origin}/?status=Waiting`);
    expect(
      await page.$$eval('table.list tbody tr', (rows) => rows.map((r) => r.getAttribute('data-status'))),
    ).toEqual(['Waiting']);
  });

  it('clicks continue on a paused execution and sees it finish without reloading', async () => {
    await page.goto(`${console.origin}/executions/${pausedId}`);
    expect(await text('[data-live="head"] .badge')).toBe('Waiting');
    const shot = await screenshot('execution-paused');
    await expectDrawn(shot, '[data-live="head"] .badge', COLOURS.warn);
    await expectDrawn(shot, 'button[value="continue"]', COLOURS.ok);
    await expectDrawn(shot, 'svg.timeline', COLOURS.bad);
    await expectDrawn(shot, '#failures-h');
    expect(await text('section[aria-labelledby="failures-h"] tbody')).toContain(PAUSED_FAILING);

    await Promise.all([page.waitForNavigation(), page.click('button[value="continue"]')]);
    expect(await text('.notice')).toMatch(/continue recorded for .*this console drives the execution on/);
    await page.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    await page.waitForFunction(
      () => document.querySelector('[data-live="head"]')?.getAttribute('data-status') === 'Success',
      { timeout: 30_000 },
    );
    // Updated in place by the live regions, not by a reload; the decision buttons are gone.
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(
      true,
    );
    expect(await page.$('button[value="continue"]')).toBeNull();
    expect(await text('.counts .c-attached dd')).toBe('9');
    expect(await text('.counts .c-failed dd')).toBe('1');
    expect(await text('.counts .c-pending dd')).toBe('0');
    const done = await screenshot('execution-finished');
    await expectDrawn(done, '[data-live="head"] .badge', COLOURS.ok);
    await console.idle();
    const roles = new Map(emulator.instances().map((i) => [i.InstanceId, i.RamRoleName]));
    expect(PAUSED.filter((id) => roles.get(id) === DESIGNATED_ROLE)).toHaveLength(9);
    const journal = await openExecutionStore(state).loadJournal(pausedId);
    expect(journal.filter((entry) => entry.type === 'decision')).toEqual([
      expect.objectContaining({ action: 'continue', failedBefore: 1 }),
    ]);
  });

  it('pages and searches through a 10,000-instance execution', async () => {
    await page.goto(`${console.origin}/executions/${bigId}`);
    expect(await text('#instances caption')).toBe('Instances 1–100 of 10000; page 1 of 100');
    const firstColumn = () =>
      page.$$eval('table.instances tbody th', (cells) => cells.map((c) => c.textContent));
    expect((await firstColumn())[0]).toBe(fleetId(0));
    const shot = await screenshot('execution');
    await expectDrawn(shot, 'svg.timeline', COLOURS.ok);
    await expectDrawn(shot, '.counts');
    await expectDrawn(shot, 'table.instances');
    await expectDrawn(shot, 'nav.pager');

    await Promise.all([page.waitForNavigation(), page.click('nav.pager a[rel="next"]')]);
    expect(await text('#instances caption')).toBe('Instances 101–200 of 10000; page 2 of 100');
    expect(await firstColumn()).toEqual(Array.from({ length: 100 }, (_, i) => fleetId(100 + i)));
    await Promise.all([page.waitForNavigation(), page.click('nav.pager a:last-of-type')]);
    expect(await text('#instances caption')).toBe('Instances 9901–10000 of 10000; page 100 of 100');
    expect((await firstColumn()).at(-1)).toBe(fleetId(9999));
    expect(await page.$('nav.pager a[rel="next"]')).toBeNull();

    // Search with the keyboard: the field is labelled and takes the query; Enter submits it.
    await page.focus('#f-q');
    await page.keyboard.type('i-f0424');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
    expect(await text('#instances caption')).toBe('Instances 1–10 of 10 matching “i-f0424”; page 1 of 1');
    // The failures by code link to all of their instances.
    await Promise.all([
      page.waitForNavigation(),
      page.click('section[aria-labelledby="failures-h"] tbody a'),
    ]);
    expect(await firstColumn()).toEqual(BIG_FAILING);
    expect(await text('#instances caption')).toMatch(/of 3 with outcome Failed \(InvalidInstance.Locked\)/);
  });

  it('shows compliance over time per region as a server-rendered chart and the non-compliant instances', async () => {
    await page.goto(`${console.origin}/compliance`);
    expect(await page.$$eval('svg.chart polyline', (lines) => lines.length)).toBe(2);
    expect(await page.$$eval('svg.chart .marker', (markers) => markers.length)).toBe(2 * 2 + 2);
    const rows = await page.$$eval('#non-compliant tbody tr', (trs) => trs.map((tr) => tr.textContent ?? ''));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain(SWEPT[4]);
    expect(rows[0]).toContain('OtherRole');
    const shot = await screenshot('compliance');
    await expectDrawn(shot, 'svg.chart', COLOURS.run);
    await expectDrawn(shot, 'svg.chart', COLOURS.magenta);
    await expectDrawn(shot, '#non-compliant table');
  });

  it('keeps the read-only pages working without JavaScript, with labelled fields and a skip link first', async () => {
    const plain = await browser.newPage();
    await plain.setJavaScriptEnabled(false);
    await plain.setCookie(...(await page.cookies()));
    await plain.goto(`${console.origin}/executions/${bigId}?page=3`);
    expect(await plain.$eval('#instances caption', (c) => c.textContent)).toBe(
      'Instances 201–300 of 10000; page 3 of 100',
    );
    await plain.keyboard.press('Tab');
    expect(await plain.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await Promise.all([plain.waitForNavigation(), plain.click('nav.pager a[rel="prev"]')]);
    expect(await plain.$eval('#instances caption', (c) => c.textContent)).toMatch(/page 2 of 100$/);
    const unlabelled = await plain.$$eval('input:not([type="hidden"]), select', (fields) =>
      fields.filter((f) => (f as HTMLInputElement).labels?.length === 0).map((f) => f.id),
    );
    expect(unlabelled).toEqual([]);
    expect(
      await plain.$$eval('table', (tables) => tables.every((t) => t.querySelector('thead th[scope="col"]'))),
    ).toBe(true);
    await plain.close();
  });
});

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

interface Screenshot {
  /** Distinct colours in the box, and how many of its pixels are near `colour`. */
  region(box: Box, colour?: readonly number[]): Promise<{ distinct: number; near: number }>;
}

/**
 * Decodes a PNG with the browser's own decoder onto a canvas of a blank page, which then answers
 * questions about regions of it (the pixels stay in the browser).
 */
async function decode(browser: Browser, png: Buffer, pages: Page[]): Promise<Screenshot> {
  const scratch = await browser.newPage();
  pages.push(scratch);
  await scratch.evaluate(async (base64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.naturalWidth;
    canvas.height = image.naturalHeight;
    canvas.getContext('2d')!.drawImage(image, 0, 0);
    (window as unknown as { shot: HTMLCanvasElement }).shot = canvas;
  }, png.toString('base64'));
  return {
    region: (box, colour) =>
      scratch.evaluate(
        (box, colour) => {
          const canvas = (window as unknown as { shot: HTMLCanvasElement }).shot;
          const x = Math.floor(box.x);
          const y = Math.floor(box.y);
          const width = Math.min(Math.ceil(box.width), canvas.width - x);
          const height = Math.min(Math.ceil(box.height), canvas.height - y);
          const pixels = canvas.getContext('2d')!.getImageData(x, y, width, height).data;
          const colours = new Set<number>();
          let near = 0;
          for (let at = 0; at < pixels.length; at += 4) {
            const r = pixels[at]!;
            const g = pixels[at + 1]!;
            const b = pixels[at + 2]!;
            colours.add((r << 16) | (g << 8) | b);
            if (
              colour &&
              Math.abs(r - colour[0]!) + Math.abs(g - colour[1]!) + Math.abs(b - colour[2]!) < 40
            ) {
              near += 1;
            }
          }
          return { distinct: colours.size, near };
        },
        box,
        colour ?? null,
      ),
  };
}
