import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { buildUi } from '../../scripts/build-ui.ts';
import { startHerald, type TestHerald } from '../helpers/herald.ts';
import { writeHeraldConfig } from '../providers/config-file.ts';
import type { NewMessage } from '../../src/domain/message.ts';
import { launch, SHOTS, signIn, watchErrors } from './browser.ts';

function webhook(over: Partial<NewMessage>): NewMessage {
  return {
    channel: 'webhook',
    recipient: 'http://127.0.0.1:9/hook',
    payload: { method: 'POST', url: 'http://127.0.0.1:9/hook', body: { n: 1 } },
    priority: 0,
    categories: 0,
    lane: 'webhook:http://127.0.0.1:9',
    dueAt: Date.now() + 86_400_000,
    maxAttempts: 3,
    ...over,
  };
}

/**
 * Issue 13 in the admin UI, in a real headless Chromium at desktop (1440 px) and phone (390 px)
 * width: retry/cancel all messages matching the filters after a dry-run count, and the retention
 * policy on the dashboard.
 */
void describe('admin UI: act on all matching messages, retention policy', () => {
  let h: TestHerald;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const shot = (name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: false });
  const states = () => h.rt.store.messages.countByState();

  before(async () => {
    await buildUi({ quiet: true });
    h = await startHerald({
      listen: true,
      roles: ['api'],
      env: { HERALD_RETENTION_DAYS: '45', HERALD_CONFIG: writeHeraldConfig({ retention: { sms: 7, webhook: 0 } }) },
    });
    // 7 failed and 3 delivered webhooks, 4 queued for tomorrow (no worker: they stay as they are).
    await h.rt.store.messages.insertMany(
      [
        ...Array.from({ length: 7 }, () => webhook({ state: 'failed', reason: 'HTTP 500' })),
        ...Array.from({ length: 3 }, () => webhook({ state: 'delivered' })),
        ...Array.from({ length: 4 }, () => webhook({})),
      ],
      Date.now(),
    );
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    errors = watchErrors(page);
    await signIn(page, h.url);
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  void test('dashboard: the retention policy in force', async () => {
    const line = page.getByTestId('retention-policy');
    await line.waitFor();
    assert.match(await line.innerText(), /kept 45 days \(sms: 7 days, webhook: forever\)/);
    assert.match(await line.innerText(), /counters are kept/);
  });

  void test('desktop: retry all failed after a dry-run count; "Keep them" changes nothing', async () => {
    await page.goto(`${h.url}/admin/messages?state=failed`);
    await page.getByRole('heading', { name: 'Messages' }).waitFor();
    await page.getByRole('button', { name: 'Retry all matching…' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Confirm retry' });
    await dialog.waitFor();
    assert.equal(await page.getByTestId('bulk-count').innerText(), 'Retry 7 messages');
    await shot('messages-bulk');
    await dialog.getByRole('button', { name: 'Keep them' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.deepEqual(await states(), { failed: 7, delivered: 3, queued: 4 }, 'the dry run changed nothing');

    await page.getByRole('button', { name: 'Retry all matching…' }).click();
    await dialog.getByRole('button', { name: 'Retry 7' }).click();
    await page.getByRole('status').filter({ hasText: '7 messages queued again.' }).waitFor();
    assert.deepEqual(await states(), { delivered: 3, queued: 11 });
    const audit = await h.rt.store.audit.list({ action: 'message.bulk_retry' }, 5);
    assert.equal(audit.items.length, 1);
    assert.deepEqual(audit.items[0]!.detail!.filter, { state: 'failed' });
  });

  void test('phone: cancel all queued, with the count of those skipped', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${h.url}/admin/messages?channel=webhook`);
    await page.getByRole('heading', { name: 'Messages' }).waitFor();
    await page.getByRole('button', { name: 'Cancel all matching…' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Confirm cancel' });
    await dialog.waitFor();
    assert.equal(await page.getByTestId('bulk-count').innerText(), 'Cancel 11 messages');
    assert.match(await dialog.innerText(), /of 14 matching\? 3 in other states will be skipped/);
    const box = await dialog.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, 'the confirmation fits the phone width');
    await dialog.scrollIntoViewIfNeeded();
    await shot('messages-bulk-phone');
    await dialog.getByRole('button', { name: 'Cancel 11' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: '11 messages cancelled; 3 skipped (in another state).' })
      .waitFor();
    assert.deepEqual(await states(), { delivered: 3, cancelled: 11 });

    // Nothing left to cancel: the count says so and offers no action.
    await page.getByRole('button', { name: 'Cancel all matching…' }).click();
    await dialog.waitFor();
    assert.match(await dialog.innerText(), /Nothing to cancel: none of the 14 matching messages is queued/);
    assert.equal(await dialog.getByRole('button', { name: /^Cancel \d/ }).count(), 0);
    await page.setViewportSize({ width: 1440, height: 900 });
    assert.deepEqual(errors, []);
  });
});
