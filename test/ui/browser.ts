import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

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
