/**
 * Debian's Chromium for the browser tests, driven by playwright-core (which downloads no browser
 * of its own). Like the Redis tests: skipped with a printed reason when Chromium is missing,
 * failed instead under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

/** The flags the browser tests launch Chromium with. */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

export interface ChromiumStatus {
  /** `command -v chromium`, or '' when not found. */
  path: string;
  run: boolean;
  /** Why the tests are skipped; '' when they run. */
  skipReason: string;
}

export function chromiumStatus(): ChromiumStatus {
  const found = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  const path = found.status === 0 ? found.stdout.trim() : '';
  const ci = process.env.CI === 'true';
  return {
    path,
    run: path !== '' || ci,
    skipReason:
      path !== '' || ci ? '' : 'skipped: no chromium on PATH (apt-get install chromium; with CI=true these browser tests fail instead)',
  };
}

/** Launches Chromium headless; throws (failing the test) when it is missing. */
export async function launchChromium(status: ChromiumStatus): Promise<Browser> {
  if (status.path === '') throw new Error('chromium is not on PATH: apt-get install chromium (.ci/run installs it)');
  return chromium.launch({ executablePath: status.path, args: CHROMIUM_ARGS });
}
