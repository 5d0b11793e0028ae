import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { buildUi } from '../../scripts/build-ui.ts';
import { eventually, startHerald, TEST_KEY, type TestHerald } from '../helpers/herald.ts';
import { startSink } from '../helpers/http-sink.ts';
import { launch, SHOTS, watchErrors } from './browser.ts';
import { seedHistory } from './seed-history.ts';
import { startSmsBatchFake, type SmsBatchFake } from '../fakes/sms-batch.fake.ts';
import { closedPort, writeHeraldConfig } from '../providers/config-file.ts';

// Screenshots go to docs/screenshots only when asked (HERALD_SCREENSHOTS=1), so a test run leaves the tree clean.
/**
 * The admin UI in a real headless Chromium against an in-process Herald on 127.0.0.1: every
 * call goes through the public API with the signed-in key.
 */
void describe('admin UI', () => {
  let h: TestHerald;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let smsBatch: SmsBatchFake;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let failingId = '';

  const shot = (name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: false });
  const post = async (url: string, payload: unknown) => {
    const r = await h.inject({ method: 'POST', url, headers: h.auth, payload: payload as object });
    assert.ok(r.statusCode < 300, `${url}: ${r.statusCode} ${r.body}`);
    return r.json<{ id: string }>();
  };

  before(async () => {
    await buildUi({ quiet: true });
    sink = await startSink((req) =>
      req.url.startsWith('/fail') ? { status: 500, body: 'upstream exploded' } : { status: 200 },
    );
    // SMS go through the sms-batch provider (a real HTTP fake that posts signed status updates back to
    // Herald), e-mail to the built-in outbox. Herald listens on a port chosen first: it is in the callback URL.
    const port = await closedPort();
    smsBatch = await startSmsBatchFake({ token: 'k', secret: 'whsec_ui', autoUpdatesMs: 20 });
    const providers = [
      {
        name: 'bulk-sms',
        channel: 'sms',
        type: 'sms-batch',
        baseUrl: smsBatch.url,
        token: 'k',
        batchSize: 50,
        lingerMs: 100,
        webhookSecret: 'whsec_ui',
        statusCallbackUrl: `http://127.0.0.1:${port}/v1/providers/bulk-sms/events`,
      },
    ];
    h = await startHerald({
      env: { HERALD_RETRY_SCHEDULE: '50ms', HERALD_CONFIG: writeHeraldConfig({ providers }) },
    });
    h.url = await h.rt.app!.listen({ port, host: '127.0.0.1' });
    for (let i = 0; i < 12; i++)
      await post('/v1/messages', { channel: 'webhook', url: `${sink.url}/ok/${i}`, body: { i } });
    failingId = (await post('/v1/messages', { channel: 'webhook', url: `${sink.url}/fail`, maxAttempts: 2 })).id;
    await post('/v1/messages', {
      channel: 'email',
      to: 'ada@example.com',
      from: 'noreply@example.com',
      subject: 'Your weekly report',
      text: 'Plain text version',
      html: '<h1 id="hello">Hello Ada</h1><p>Here is your <b>weekly report</b>.</p><script>parent.pwned=1</script>',
    });
    // Synthetic counters for the past week (stats only), so the screenshots show a day's rhythm.
    await seedHistory(h.rt.store, Date.now());
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    errors = watchErrors(page);
  });

  after(async () => {
    await browser?.close();
    await h?.stop();
    await sink?.close();
    await smsBatch?.close();
  });

  void test('a wrong key is refused with a clear message', async () => {
    await page.goto(`${h.url}/`);
    await page.waitForURL(/\/admin\/$/);
    await page.getByLabel('API key').fill('hk_wrong_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /refused this API key/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('herald.apiKey')), null);
    await shot('signin');
  });

  void test('sign in: the dashboard charts render with data', async () => {
    await page.getByLabel('API key').fill(TEST_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const chart = page.getByTestId('chart-minute');
    await eventually(async () => Number(await chart.getAttribute('data-total')) > 0 || undefined, 15_000, 'chart data');
    assert.equal(await chart.locator('canvas').count(), 1);
    const box = await chart.locator('canvas').boundingBox();
    assert.ok(box && box.width > 200 && box.height > 100, 'the canvas has a size');
    assert.notEqual(await page.getByTestId('stat-accepted').innerText(), '—');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('herald.apiKey')), TEST_KEY);
    await shot('dashboard');
  });

  void test('find a message and open its attempts', async () => {
    await eventually(
      async () => {
        const r = await h.inject({ method: 'GET', url: `/v1/messages/${failingId}`, headers: h.auth });
        return r.json<{ state: string }>().state === 'failed' || undefined;
      },
      10_000,
      'the failing webhook to fail',
    );
    await page.getByRole('link', { name: 'Messages', exact: true }).click();
    await page.locator('table.rows-link tbody tr').nth(10).waitFor();
    await shot('messages');
    // Filters apply as they change (no Apply button): the URL follows.
    await page.getByLabel('State').selectOption('failed');
    await page.waitForURL(/state=failed/);
    const rows = page.locator('table.rows-link tbody tr');
    await eventually(async () => ((await rows.count()) === 1 ? true : undefined), 5000, 'one failed message');
    await rows.first().getByRole('link').click();
    await page.waitForURL(new RegExp(`/admin/messages/${failingId}$`));
    const attempts = page.getByTestId('attempts').locator('tbody tr');
    await attempts.first().waitFor();
    assert.equal(await attempts.count(), 2);
    assert.match(await attempts.first().innerText(), /500/);
    assert.ok(await page.getByRole('button', { name: 'Retry' }).isVisible(), 'a failed message can be retried');
    await shot('message');
  });

  void test('open an e-mail in the outbox: HTML in a sandboxed frame', async () => {
    await page.getByRole('link', { name: 'Outbox' }).click();
    const row = page.getByTestId('outbox').locator('tbody tr', { hasText: 'Your weekly report' });
    await row.waitFor();
    await shot('outbox');
    await row.getByRole('link').click();
    await page.getByRole('heading', { name: 'Your weekly report' }).waitFor();
    const frame = page.locator('iframe');
    assert.equal(await frame.getAttribute('sandbox'), '');
    assert.match((await frame.getAttribute('srcdoc')) ?? '', /Hello Ada/);
    const inner = page.frameLocator('iframe').locator('#hello');
    assert.equal(await inner.innerText(), 'Hello Ada');
    assert.equal(
      await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned),
      undefined,
      'scripts never run',
    );
    await shot('outbox-email');
  });

  void test('import contacts from CSV: progress, then a report of rejected rows', async () => {
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('heading', { name: 'Contacts' }).waitFor();
    await page.getByRole('button', { name: 'Import CSV' }).click();
    const csv = [
      'phone,email,tag,timezone,name',
      '79001112233,ada@example.com,vip,Europe/Moscow,Ada',
      '79001112234,,vip,Europe/Moscow,Grace',
      '79001112235,,vip,Asia/Tokyo,Linus',
      '79001112236,,regular,UTC,Ken',
      '79001112237,,regular,Mars/Olympus,Bad',
      '79001112233,,vip,UTC,Duplicate',
    ].join('\n');
    await page
      .getByLabel('CSV file')
      .setInputFiles({ name: 'contacts.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const result = page.getByTestId('import-result');
    await result.waitFor();
    assert.match(await result.innerText(), /4 imported, 2 rejected/);
    assert.equal(await page.getByTestId('import-progress').getAttribute('value'), '6');
    const rejected = page.getByTestId('import-rejected').locator('tbody tr');
    assert.equal(await rejected.count(), 2);
    assert.match(await rejected.nth(0).innerText(), /6\s+79001112237.*time zone/s);
    assert.match(await rejected.nth(1).innerText(), /duplicate/);
    await eventually(async () =>
      (await page.getByTestId('contacts').locator('tbody tr').count()) === 4 ? true : undefined,
    );
    await shot('contacts');
  });

  void test('create a campaign with a live count and preview, and watch its progress', async () => {
    await page.getByRole('link', { name: 'Campaigns' }).click();
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByLabel('Name').fill('VIP welcome');
    await page.getByLabel('Text').fill('Hello {attributes.name}, welcome to the VIP list');
    await page.getByLabel('Tags').fill('vip');
    const count = page.getByTestId('match-count');
    await eventually(async () => ((await count.innerText()) === '3' ? true : undefined), 5000, 'three vip contacts');
    assert.match(await page.getByTestId('preview').innerText(), /^Hello (Ada|Grace|Linus), welcome to the VIP list$/);
    await shot('campaign-new');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await page.getByRole('heading', { name: 'VIP welcome' }).waitFor();
    const progress = page.getByTestId('progress-text');
    await eventually(
      async () => (/3 delivered .* of 3/.test(await progress.innerText()) ? true : undefined),
      15_000,
      'the campaign to deliver to its three contacts',
    );
    await shot('campaign');

    // Two more for the list: one waiting for its local-time window (closed now in every contact's
    // zone: it opens 90 minutes after UTC's local time, and the contacts are UTC+0, +3, +9), then paused;
    // one that starts tomorrow.
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const now = Date.now();
    const day = 86_400_000;
    const waiting = await post('/v1/campaigns', {
      name: 'Night maintenance notice',
      text: 'Service maintenance tonight, {attributes.name}',
      startAt: new Date(now - 60_000).toISOString(),
      endAt: new Date(now + day).toISOString(),
      window: { from: hhmm(now + 90 * 60_000), to: hhmm(now + 120 * 60_000) },
    });
    await eventually(
      async () => {
        const r = await h.inject({ method: 'GET', url: `/v1/campaigns/${waiting.id}/stats`, headers: h.auth });
        return r.json<{ counts: Record<string, number> }>().counts.queued === 4 || undefined;
      },
      10_000,
      'four messages waiting for the window',
    );
    await post(`/v1/campaigns/${waiting.id}/pause`, {});
    await post('/v1/campaigns', {
      name: 'Spring sale',
      text: 'Spring sale: 20% off for you, {attributes.name}',
      filter: { tags: ['regular', 'vip'] },
      startAt: new Date(now + day).toISOString(),
      endAt: new Date(now + 3 * day).toISOString(),
      window: { from: '10:00', to: '20:00' },
    });
    await page.getByRole('link', { name: 'Campaigns', exact: true }).first().click();
    const row = page.getByTestId('campaigns').locator('tbody tr', { hasText: 'VIP welcome' });
    await row.waitFor();
    assert.match(await row.innerText(), /3 delivered/);
    const paused = page.getByTestId('campaigns').locator('tbody tr', { hasText: 'Night maintenance notice' });
    assert.match(await paused.innerText(), /paused[\s\S]*4 pending of 4/);
    await page.getByTestId('campaigns').locator('tbody tr', { hasText: 'Spring sale' }).waitFor();
    await shot('campaigns');
  });

  void test('contacts: create, edit and delete one by hand', async () => {
    await page.getByRole('link', { name: 'Contacts' }).click();
    await page.getByRole('button', { name: 'New contact' }).click();
    await page.getByLabel('Phone').fill('79005550001');
    await page.getByLabel('Tag', { exact: true }).fill('trial');
    await page.getByRole('button', { name: 'Create contact' }).click();
    await page.getByRole('status').filter({ hasText: 'Created 79005550001' }).waitFor();
    const row = page.getByTestId('contacts').locator('tbody tr', { hasText: '79005550001' });
    await row.getByRole('button', { name: 'Edit 79005550001' }).click();
    await page.getByLabel('Time zone', { exact: true }).fill('Not/AZone');
    await page.getByRole('button', { name: 'Save contact' }).click();
    assert.match(await page.locator('.field-error').first().innerText(), /IANA time zone/);
    await page.getByLabel('Time zone', { exact: true }).fill('Europe/Berlin');
    await page.getByRole('button', { name: 'Save contact' }).click();
    await row.filter({ hasText: 'Europe/Berlin' }).waitFor();
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Delete 79005550001' }).click();
    await page.getByRole('status').filter({ hasText: 'Deleted 79005550001' }).waitFor();
    // The list reloads after the notice: wait for the row to go rather than racing the refresh.
    await row.waitFor({ state: 'detached', timeout: 5000 });
    assert.equal(await row.count(), 0);
  });

  void test('a scheduled campaign can be cancelled; a queued message can be cancelled, a sent one not', async () => {
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const later = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const c = await post('/v1/campaigns', { name: 'Tomorrow', text: 'Hi', startAt: tomorrow, endAt: later });
    await page.goto(`${h.url}/admin/campaigns/${c.id}`);
    await page.getByRole('heading', { name: 'Tomorrow' }).waitFor();
    assert.equal(await page.locator('.page-header .badge').innerText(), 'scheduled');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('.page-header .badge', { hasText: 'cancelled' }).waitFor();

    const m = await post('/v1/messages', { channel: 'webhook', url: `${sink.url}/later`, sendAt: later });
    await page.getByRole('link', { name: 'Messages', exact: true }).click();
    await page.getByLabel('Message id', { exact: true }).fill(m.id);
    await page.getByRole('button', { name: 'Open', exact: true }).click();
    await page.waitForURL(new RegExp(`/admin/messages/${m.id}$`));
    await page.getByText('No attempt yet').waitFor();
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel message' }).click();
    await page.getByRole('status').filter({ hasText: 'Message cancelled.' }).waitFor();
    // The page reloads the message after the notice: wait for the new state, do not race it.
    await page.locator('.page-header .badge', { hasText: 'cancelled' }).waitFor({ timeout: 5000 });
    await page.getByRole('button', { name: 'Cancel message' }).waitFor({ state: 'detached', timeout: 5000 });
    assert.equal(await page.getByRole('button', { name: 'Cancel message' }).count(), 0);

    // A message a provider already has (`sent`, waiting for its receipt) offers no Cancel.
    const taken = await post('/v1/messages', { channel: 'webhook', url: `${sink.url}/taken`, sendAt: later });
    for (const to of ['sending', 'sent'] as const)
      await h.rt.store.messages.changeState(taken.id, { to, at: Date.now(), source: 'test', type: to });
    await page.goto(`${h.url}/admin/messages/${taken.id}`);
    await page.locator('.page-header .badge', { hasText: 'sent' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Cancel message' }).count(), 0);
  });

  void test('providers page shows health and throughput', async () => {
    await page.getByRole('link', { name: 'Providers' }).click();
    await page.getByRole('heading', { name: 'Providers' }).waitFor();
    const table = page.getByTestId('providers');
    await table.waitFor();
    assert.match(await table.innerText(), /bulk-sms/);
    // The batching provider's per-call numbers: the campaign's three SMS went out in one call.
    const batch = page.getByTestId('batch-calls');
    await batch.waitFor();
    assert.match(await batch.locator('tbody tr').nth(1).innerText(), /Last hour\s+1\s+3\s+3\.0/);
    await shot('providers');
  });

  void test('keyboard: skip link first, focus lands on the new page heading', async () => {
    await page.goto(`${h.url}/admin/messages`);
    await page.getByRole('heading', { name: 'Messages' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.locator(':focus').innerText(), 'Skip to content');
    await page.getByRole('link', { name: 'Outbox' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Outbox' }).waitFor();
    await eventually(async () =>
      (await page.locator(':focus').getAttribute('id')) === 'page-title' ? true : undefined,
    );
  });

  void test('phone width: the menu opens and navigates', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await shot('dashboard-phone');
    await page.setViewportSize({ width: 1366, height: 900 });
  });

  void test('sign out clears the key', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('herald.apiKey')), null);
    assert.deepEqual(errors, []);
  });
});
