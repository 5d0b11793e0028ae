import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { buildUi } from '../../scripts/build-ui.ts';
import { eventually, startHerald, TEST_KEY, type TestHerald } from '../helpers/herald.ts';
import { startSmtpFake, type SmtpFake } from '../fakes/smtp.fake.ts';
import { closedPort, writeHeraldConfig } from '../providers/config-file.ts';
import { launch, SHOTS, signIn, watchErrors } from './browser.ts';

interface Detail {
  id: string;
  state: string;
  provider: string | null;
  providerMessageId: string | null;
  events: { type: string }[];
}

/**
 * Issue 14 in a real headless Chromium at 1440 and 390 px: search and URL filters, the contact
 * page, provider dropdowns, providers' health in words and routes, phone-width layout.
 */
void describe('admin UI: search, contact page, providers, phone width', () => {
  let h: TestHerald;
  let smtp: SmtpFake;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let adaId = '';
  const shot = (p: Page, name: string) => p.screenshot({ path: `${SHOTS}${name}.png`, fullPage: false });
  const call = async (method: 'POST' | 'PUT', url: string, payload: unknown) => {
    const r = await h.inject({ method, url, headers: h.auth, payload: payload as object });
    assert.ok(r.statusCode < 300, `${url}: ${r.statusCode} ${r.body}`);
    return r.json<{ id: string }>();
  };
  const detail = async (id: string) => (await h.inject({ url: `/v1/messages/${id}`, headers: h.auth })).json<Detail>();
  const email = (to: string, subject: string) =>
    call('POST', '/v1/messages', { channel: 'email', to, from: 'shop@example.com', subject, text: 'Hello' });

  async function openSignedIn(width: number, height: number): Promise<Page> {
    const p = await browser.newPage({ viewport: { width, height } });
    errors = [...(errors ?? []), ...watchErrors(p)];
    await signIn(p, h.url);
    return p;
  }

  before(async () => {
    await buildUi({ quiet: true });
    smtp = await startSmtpFake();
    const down = await closedPort();
    const providers = [
      { name: 'primary-smtp', channel: 'email', type: 'smtp', url: `smtp://127.0.0.1:${down}` },
      { name: 'backup-smtp', channel: 'email', type: 'smtp', url: smtp.url },
    ];
    h = await startHerald({
      listen: true,
      env: {
        HERALD_CONFIG: writeHeraldConfig({ providers, routes: { email: ['primary-smtp', 'backup-smtp'] } }),
        HERALD_BREAKER_THRESHOLD: '1',
        HERALD_BREAKER_COOLDOWN_MS: '10m',
        HERALD_RETRY_SCHEDULE: '0,1h',
      },
    });
    adaId = (await email('ada@example.com', 'Welcome, Ada')).id;
    await email('ada.lovelace@example.org', 'Engine notes');
    await email('bob@example.com', 'Your order');
    await call('POST', '/v1/messages', { channel: 'sms', to: '+79001112233', text: 'Your code is 1234' });
    await eventually(async () => ((await detail(adaId)).state === 'sent' ? true : undefined), 10_000, 'ada sent');
    const contacts = [
      {
        phone: '79001112233',
        email: 'ada@example.com',
        tag: 'vip',
        timezone: 'Europe/Moscow',
        attributes: { name: 'Ada', city: 'Kazan' },
      },
      { phone: '79001112234', tag: 'vip', timezone: 'America/Argentina/Buenos_Aires', attributes: { city: 'Omsk' } },
      ...Array.from({ length: 8 }, (_, i) => ({
        phone: `7900555000${i}`,
        email: `customer.number.${i}@a-rather-long-domain.example.com`,
        tag: 'regular',
        timezone: 'Asia/Yekaterinburg',
        attributes: { city: 'Perm' },
      })),
    ];
    for (const c of contacts) await call('POST', '/v1/contacts', c);
    await call('POST', '/v1/suppressions', { recipient: 'ada@example.com', reason: 'hard bounce' });
    await call('PUT', '/v1/preferences/79001112233', { optOut: 4 });
    browser = await launch();
    page = await openSignedIn(1440, 900);
  });

  after(async () => {
    await browser?.close();
    await h?.stop();
    await smtp?.close();
  });

  const rows = (p: Page) => p.locator('table.rows-link tbody tr');
  const rowCount = (p: Page, n: number, what: string) =>
    eventually(async () => ((await rows(p).count()) === n ? true : undefined), 5000, what);

  void test('messages: recipient search applies as you type, the URL keeps it, Back restores it', async () => {
    await page.goto(`${h.url}/admin/messages`);
    await rowCount(page, 4, 'four messages');
    await page.getByLabel('Recipient', { exact: true }).fill('ADA');
    // No button: the filter applies after a pause in typing.
    await page.waitForURL(/recipientPrefix=ADA/);
    await rowCount(page, 2, "two recipients starting with 'ada'");
    await page.getByLabel('Match recipient').selectOption('recipientContains');
    await page.getByLabel('Recipient', { exact: true }).fill('lovelace');
    await page.waitForURL(/recipientContains=lovelace/);
    assert.doesNotMatch(page.url(), /recipientPrefix/);
    await rowCount(page, 1, 'one recipient containing lovelace');
    assert.match(await rows(page).first().innerText(), /ada\.lovelace@example\.org/);
    await shot(page, 'messages-search');
    await page.goBack();
    await page.waitForURL(/recipientPrefix=ADA/);
    await rowCount(page, 2, 'back to the prefix search');
    assert.equal(await page.getByLabel('Recipient', { exact: true }).inputValue(), 'ADA');
    assert.equal(await page.getByLabel('Match recipient').inputValue(), 'recipientPrefix');
    // A shared link opens the same view.
    const other = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await other.goto(page.url());
    await other.getByLabel('API key').fill(TEST_KEY);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await rowCount(other, 2, 'the shared URL shows the same messages');
    await other.close();
  });

  void test('messages: a substring too short waits with a hint instead of an error', async () => {
    await page.goto(`${h.url}/admin/messages?recipientContains=example`);
    await rowCount(page, 3, 'three at example.*');
    await page.getByLabel('Recipient', { exact: true }).fill('ex');
    assert.match(await page.locator('#f-recipient-hint').innerText(), /at least 3 characters/);
    await page.waitForURL((u) => !u.search.includes('recipientContains'));
    assert.equal(await page.getByRole('alert').count(), 0);
  });

  void test('messages: provider is a dropdown of configured providers; the column shows who carried it', async () => {
    await page.goto(`${h.url}/admin/messages`);
    await rowCount(page, 4, 'four messages');
    const select = page.locator('select#f-provider');
    const options = await select.locator('option').allInnerTexts();
    assert.ok(options.includes('primary-smtp') && options.includes('backup-smtp'), options.join(','));
    await select.selectOption('backup-smtp');
    await page.waitForURL(/provider=backup-smtp/);
    await rowCount(page, 3, 'three e-mails carried by the backup');
    for (const cell of await rows(page).locator('td:nth-child(5)').all()) {
      assert.equal(await cell.innerText(), 'backup-smtp', 'the provider that carried it, not the route');
      const box = await cell.boundingBox();
      assert.ok(box && box.height < 48, `one line (${box?.height}px)`);
    }
  });

  void test('messages: by provider message id; the timeline starts with accepted', async () => {
    const d = await detail(adaId);
    assert.ok(d.providerMessageId, 'the SMTP provider gave an id');
    await page.goto(`${h.url}/admin/messages`);
    await page.getByLabel('Provider message id').fill(d.providerMessageId);
    await page.waitForURL(/providerMessageId=/);
    await rowCount(page, 1, 'one message with that provider id');
    await rows(page).first().getByRole('link').click();
    await page.waitForURL(new RegExp(`/messages/${adaId}$`));
    const first = page.locator('ol.timeline li').first();
    await first.waitFor();
    assert.match(await first.innerText(), /accepted/);
    assert.equal(d.events[0]!.type, 'accepted', 'the API answers it first too');
  });

  void test('contacts: search by phone digits, attribute value, e-mail; then the contact page', async () => {
    await page.goto(`${h.url}/admin/contacts`);
    const table = page.getByTestId('contacts').locator('tbody tr');
    await eventually(async () => ((await table.count()) === 10 ? true : undefined), 5000, 'ten contacts');
    const search = page.getByLabel('Search', { exact: true });
    await search.fill('+7 900 111');
    await page.waitForURL(/q=%2B7/);
    await eventually(async () => ((await table.count()) === 2 ? true : undefined), 5000, 'two phones with 7900111');
    await search.fill('kazan');
    await eventually(async () => ((await table.count()) === 1 ? true : undefined), 5000, 'one in Kazan');
    assert.match(await page.locator('.page-header .subtitle').innerText(), /^1 contacts? match/);
    await search.fill('A-RATHER-LONG');
    await eventually(async () => ((await table.count()) === 8 ? true : undefined), 5000, 'eight by e-mail');
    await search.fill('ada@');
    await eventually(async () => ((await table.count()) === 1 ? true : undefined), 5000, 'ada by e-mail');
    await table.first().getByRole('link').first().click();
    await page.getByRole('heading', { name: '79001112233' }).waitFor();
    assert.match(await page.getByTestId('attributes').innerText(), /city\s+Kazan/);
    const policy = page.getByTestId('contact-policy');
    await eventually(async () => ((await policy.locator('tbody tr').count()) === 2 ? true : undefined));
    assert.match(await policy.locator('tbody tr', { hasText: 'E-mail' }).innerText(), /suppressed.*hard bounce/s);
    assert.match(await policy.locator('tbody tr', { hasText: 'Phone' }).innerText(), /not suppressed.*categories 4/s);
    const msgs = page.getByTestId('contact-messages').locator('tbody tr');
    await eventually(async () => ((await msgs.count()) === 2 ? true : undefined), 5000, 'the e-mail and the SMS');
    assert.match(await page.getByTestId('contact-messages').innerText(), /Welcome, Ada[\s\S]*|Your code is 1234/);
    await shot(page, 'contact');
  });

  void test('providers: health in words, route order with failover, one colour per provider', async () => {
    await page.goto(`${h.url}/admin/providers`);
    const table = page.getByTestId('providers');
    await table.locator('tbody tr', { hasText: 'primary-smtp' }).waitFor();
    const primary = await table.locator('tbody tr', { hasText: 'primary-smtp' }).innerText();
    assert.match(primary, /failing — paused until \d{1,2}:\d{2}/);
    assert.doesNotMatch(await table.innerText(), /\b(closed|half-open|open)\b/, 'no breaker jargon');
    assert.match(await table.locator('tbody tr', { hasText: 'backup-smtp' }).innerText(), /healthy/);
    const route = await page.getByTestId('routes').getByRole('list', { name: 'email route' }).innerText();
    assert.match(route, /primary-smtp[\s\S]*first choice[\s\S]*backup-smtp[\s\S]*takes over from primary-smtp/);
    const swatches = await Promise.all((await table.locator('.swatch').all()).map((e) => e.getAttribute('style')));
    assert.equal(new Set(swatches).size, swatches.length, `distinct colours: ${swatches.join(' ')}`);
    await shot(page, 'providers-failover');
  });

  void test('390 px: contacts do not scroll sideways, filters fold, cells stay short', async () => {
    const phone = await openSignedIn(390, 844);
    await phone.goto(`${h.url}/admin/contacts`);
    await phone.getByTestId('contacts').locator('tbody tr').nth(9).waitFor();
    const width = await phone.evaluate<number>('document.documentElement.scrollWidth');
    assert.ok(width <= 390, `the page is ${width}px wide`);
    assert.equal(await phone.locator('#contact-filters').isVisible(), false, 'filters folded');
    const toggle = phone.getByRole('button', { name: /^Filters/ });
    await toggle.click();
    assert.equal(await phone.locator('#contact-filters').isVisible(), true);
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await toggle.click();
    const heights = await phone
      .getByTestId('contacts')
      .locator('tbody td')
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
    assert.ok(Math.max(...heights) < 60, `cells at most two lines: ${Math.max(...heights)}px`);
    await shot(phone, 'contacts-phone');

    await phone.goto(`${h.url}/admin/messages`);
    await rowCount(phone, 4, 'four messages at 390');
    assert.equal(await phone.locator('#message-filters').isVisible(), false, 'message filters folded');
    assert.ok((await phone.evaluate<number>('document.documentElement.scrollWidth')) <= 390);
    await phone.goto(`${h.url}/admin/contacts/${(await contactId('79001112233'))!}`);
    await phone.getByRole('heading', { name: '79001112233' }).waitFor();
    assert.ok((await phone.evaluate<number>('document.documentElement.scrollWidth')) <= 390, 'contact page fits');
    await phone.close();
    assert.deepEqual(errors, []);
  });

  async function contactId(phone: string): Promise<string | undefined> {
    const r = await h.inject({ url: `/v1/contacts?q=${phone}`, headers: h.auth });
    return r.json<{ items: { id: string }[] }>().items[0]?.id;
  }
});
