import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { buildUi } from '../../scripts/build-ui.ts';
import { eventually, startHerald, type TestHerald } from '../helpers/herald.ts';
import { launch, SHOTS, signIn, watchErrors } from './browser.ts';
import { SCOPES } from '../../src/auth/scope-list.ts';

/** The Keys and Audit pages in a real headless Chromium, against an in-process Herald. */
void describe('admin UI: keys and audit', () => {
  let h: TestHerald;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const shot = (name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: false });

  before(async () => {
    await buildUi({ quiet: true });
    h = await startHerald({ roles: ['api'], listen: true });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    errors = watchErrors(page);
    page.on('dialog', (d) => void d.accept());
    await signIn(page, h.url);
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  let secret = '';

  void test('create a key: the secret is shown once and works; the list shows it', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    const table = page.getByTestId('keys');
    await table.waitFor();
    assert.match(await table.innerText(), /HERALD_API_KEY.*admin.*active/s, 'the environment key is marked');
    await page.getByRole('button', { name: 'New key' }).click();
    assert.deepEqual(
      await page.getByRole('group', { name: 'Scopes' }).locator('code').allInnerTexts(),
      [...SCOPES],
      'every scope the server knows can be chosen',
    );
    // No scope chosen: the API's validation error shows beside the scopes.
    await page.getByLabel('Name').fill('shop backend');
    await page.getByRole('button', { name: 'Create key' }).click();
    await page.getByText('Choose at least one scope.').waitFor();
    await page.getByRole('checkbox', { name: /messages:write/ }).check();
    await page.getByRole('checkbox', { name: /messages:read/ }).check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const shown = page.getByTestId('new-secret');
    await shown.waitFor();
    secret = (await shown.locator('pre').innerText()).trim();
    assert.match(secret, /^hk_/);
    const row = table.locator('tbody tr', { hasText: 'shop backend' });
    await row.waitFor();
    assert.match(await row.innerText(), /messages:write, messages:read\s+active/);
    assert.ok((await row.innerText()).includes(secret.slice(0, 10)), 'the prefix identifies it');
    await shot('keys');
    const use = await fetch(`${h.url}/v1/messages`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(use.status, 200);
    await page.getByRole('button', { name: 'I have copied it' }).click();
    assert.equal(await shown.count(), 0, 'gone once dismissed: it is never shown again');
  });

  void test('revoke a key: it is refused at once and listed as revoked when asked', async () => {
    const row = page.getByTestId('keys').locator('tbody tr', { hasText: 'shop backend' });
    await row.getByRole('button', { name: 'Revoke shop backend' }).click();
    await page.getByText('Revoked "shop backend".').waitFor();
    await row.waitFor({ state: 'detached' });
    const use = await fetch(`${h.url}/v1/messages`, { headers: { authorization: `Bearer ${secret}` } });
    assert.equal(use.status, 401);
    await page.getByLabel('Show revoked keys').check();
    const revoked = page.getByTestId('keys').locator('tbody tr', { hasText: 'shop backend' });
    await revoked.waitFor();
    assert.match(await revoked.innerText(), /revoked/);
    assert.equal(await revoked.getByRole('button').count(), 0);
  });

  void test('the audit log lists the changes, filterable by action', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('heading', { name: 'Audit log' }).waitFor();
    const rows = page.getByTestId('audit').locator('tbody tr');
    await eventually(async () => ((await rows.count()) >= 3 ? true : undefined), 5000, 'audit rows');
    const text = await page.getByTestId('audit').innerText();
    assert.match(text, /HERALD_API_KEY\s+key\.revoke\s+key \S+\s+127\.0\.0\.1/);
    assert.match(text, /key\.create/);
    await shot('audit');
    await page.getByLabel('Action').fill('key.revoke');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/action=key\.revoke/);
    await eventually(async () => ((await rows.count()) === 1 ? true : undefined), 5000, 'one revoke');
    assert.match(await rows.first().innerText(), /shop backend/);
    assert.deepEqual(errors, []);
  });
});
