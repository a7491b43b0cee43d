/**
 * Headless Chromium for tests that need a real browser: Debian's `chromium` package (installed by
 * `.ci/run`), driven by puppeteer-core, which never downloads a browser of its own. `CHROMIUM_PATH`
 * names another binary.
 *
 * Without the binary the browser tests are skipped with {@link CHROMIUM_MISSING}, except under CI
 * (`CI` set), where a missing browser fails them: CI installs it, so its absence is a broken setup.
 */
import puppeteer, { type Browser } from 'puppeteer-core';
import { describeWithTool, findExecutable } from './tools';

/** Where Debian puts the binary (`apt-get install -y chromium`). */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** The Chromium binary to drive, or undefined when none is installed. */
export function findChromium(): string | undefined {
  const configured = process.env['CHROMIUM_PATH'];
  return findExecutable(configured ? [configured] : CANDIDATES);
}

export const CHROMIUM_MISSING =
  'Browser tests skipped: no Chromium found. Install it with `apt-get update && apt-get install -y chromium` (or set CHROMIUM_PATH); .ci/run installs it.';

/**
 * `describe` when Chromium is there, `describe.skip` with a message naming the install command when not;
 * under CI a missing binary is a failure.
 */
export function describeWithChromium(name: string, body: (chromium: string) => void): void {
  describeWithTool({ path: findChromium(), missing: CHROMIUM_MISSING }, name, body);
}

/** A headless Chromium (no sandbox: tests run as root in CI). Remember `close()`. */
export function launchChromium(executablePath: string): Promise<Browser> {
  return puppeteer.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    defaultViewport: { width: 1280, height: 900 },
  });
}
