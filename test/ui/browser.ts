import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { TEST_KEY } from '../helpers/herald.ts';

/**
 * Where the UI tests' screenshots go: docs/screenshots only when asked (HERALD_SCREENSHOTS=1),
 * else a fresh temporary folder, so a test run leaves the tree clean.
 */
export const SHOTS = process.env.HERALD_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
  : `${mkdtempSync(join(tmpdir(), 'herald-shots-'))}/`;

/** Debian's Chromium, driven headless by playwright-core (no downloaded browsers). */
export const CHROMIUM = process.env.HERALD_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `No Chromium at ${CHROMIUM}: apt-get install -y chromium, or set HERALD_CHROMIUM to a Chromium binary`,
    );
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/** Collects page errors so a test can assert the UI threw nothing. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (
      m.type() === 'error' &&
      !/401|404|Failed to load resource|Blocked script execution in 'about:srcdoc'/.test(m.text())
    )
      errors.push(m.text());
  });
  return errors;
}

/** Opens the admin UI of the Herald at `url` and signs in with `key`, up to the Dashboard. */
export async function signIn(page: Page, url: string, key = TEST_KEY): Promise<void> {
  await page.goto(`${url}/admin/`);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
}
