import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { buildUi } from '../../scripts/build-ui.ts';
import { eventually, startHerald, type TestHerald } from '../helpers/herald.ts';
import { launch, SHOTS, signIn, watchErrors } from './browser.ts';

/** The Templates page, the e-mail campaign form and SMS segments in a real headless Chromium. */
void describe('admin UI: templates, e-mail campaigns, segments', () => {
  let h: TestHerald;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const shot = (name: string) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: false });
  const post = async (url: string, payload: unknown) => {
    const r = await h.inject({ method: 'POST', url, headers: h.auth, payload: payload as object });
    assert.ok(r.statusCode < 300, `${url}: ${r.statusCode} ${r.body}`);
    return r.json<{ id: string }>();
  };

  before(async () => {
    await buildUi({ quiet: true });
    h = await startHerald({ listen: true, env: { HERALD_RETRY_SCHEDULE: '50ms' } });
    await post('/v1/contacts', { email: 'ada@example.com', tag: 'news', attributes: { name: 'Ada', plan: 'Pro' } });
    await post('/v1/contacts', { phone: '79001112233', tag: 'sms', attributes: { name: 'Grace' } });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    errors = watchErrors(page);
    await signIn(page, h.url);
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  void test('create a template, edit it with a live preview for a contact, save versions, open an old one', async () => {
    await page.getByRole('link', { name: 'Templates' }).click();
    await page.getByRole('heading', { name: 'Templates' }).waitFor();
    await page.getByLabel('Template name').fill('newsletter');
    await page.getByRole('button', { name: 'Create template' }).click();
    await page.getByRole('heading', { name: 'newsletter' }).waitFor();
    // The starter variant previews for the first e-mail contact.
    const preview = page.getByTestId('template-preview');
    await eventually(
      async () => ((await page.getByTestId('preview-subject').innerText()) === 'Hello Ada' ? true : undefined),
      5000,
      'the preview for Ada',
    );
    await page.getByLabel('Subject').fill('News for {{ name }} ({{ plan }})');
    await page.getByLabel('HTML').fill('<h1 id="greeting">Hi {{ name }}</h1><p>Your plan: {{ plan }}</p>');
    await eventually(
      async () => ((await page.getByTestId('preview-subject').innerText()) === 'News for Ada (Pro)' ? true : undefined),
      5000,
      'the live preview to follow the editor',
    );
    assert.equal(
      await page.frameLocator('[data-testid="template-preview"] iframe').locator('#greeting').innerText(),
      'Hi Ada',
    );
    // A variable the contact lacks is shown as the server will refuse it.
    await page.getByLabel('Subject').fill('News for {{ nickname }}');
    await eventually(async () => (/nickname/.test(await preview.innerText()) ? true : undefined), 5000, 'the error');
    await page.getByLabel('Subject').fill('News for {{ name }} ({{ plan }})');
    await preview.getByTestId('preview-subject').waitFor();
    await shot('template-editor');

    await page.getByRole('button', { name: 'Save as version 2' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved as version 2.' }).waitFor();
    const rows = page.getByTestId('versions').locator('tbody tr');
    await eventually(async () => ((await rows.count()) === 2 ? true : undefined), 5000, 'two versions');
    assert.match(await rows.first().innerText(), /v2 \(newest\)/);
    await page.getByRole('button', { name: 'Open v1' }).click();
    await eventually(async () =>
      (await page.getByLabel('Subject').inputValue()) === 'Hello {{ name }}' ? true : undefined,
    );
    assert.match(await page.locator('.page-header .subtitle').innerText(), /showing version 1 of 2/);
    await page.getByRole('button', { name: 'Open v2' }).click();
    await eventually(async () =>
      (await page.getByLabel('Subject').inputValue()) === 'News for {{ name }} ({{ plan }})' ? true : undefined,
    );
  });

  void test('test-send queues a real message rendered from the shown version', async () => {
    await page.getByLabel('Send to').fill('qa@example.com');
    await page.getByLabel('Send from').fill('news@example.com');
    await page.getByLabel('Test data').fill('{"name": "QA", "plan": "Trial"}');
    await page.getByRole('button', { name: 'Send test' }).click();
    const done = page.getByRole('status').filter({ hasText: 'Test message queued' });
    await done.waitFor();
    const href = (await done.getByRole('link').getAttribute('href'))!;
    const id = href.split('/').pop()!;
    const m = (await h.inject({ url: `/v1/messages/${id}`, headers: h.auth })).json();
    assert.equal(m.subject, 'News for QA (Trial)');
    assert.match(m.html, /Hi QA/);
  });

  void test('the templates list at phone width does not scroll sideways', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Templates' }).click();
    await page.getByTestId('templates').locator('tbody tr', { hasText: 'newsletter' }).waitFor();
    await shot('templates');
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => {
      const g = globalThis as unknown as { document: { documentElement: { scrollWidth: number } }; innerWidth: number };
      return g.document.documentElement.scrollWidth - g.innerWidth;
    });
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the screen`);
    await page.setViewportSize({ width: 1366, height: 900 });
  });

  void test('an e-mail campaign: the preview shows an e-mail; with a template it renders on the server', async () => {
    await page.getByRole('link', { name: 'Campaigns' }).click();
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByLabel('Name').fill('Spring news');
    await page.getByLabel('Channel').selectOption('email');
    await page.getByLabel('From').fill('news@example.com');
    await page.getByLabel('Subject').fill('Spring for {attributes.name}');
    await page.getByLabel('HTML').fill('<p id="body">Dear {attributes.name}, spring is here.</p>');
    await page.getByLabel('Tags').fill('news');
    const head = page.getByTestId('preview-mail');
    await eventually(async () => (/ada@example\.com/.test(await head.innerText()) ? true : undefined), 5000, 'To');
    assert.match(await head.innerText(), /news@example\.com[\s\S]*Spring for Ada/);
    assert.equal(
      await page.frameLocator('iframe[title="E-mail preview"]').locator('#body').innerText(),
      'Dear Ada, spring is here.',
    );
    await shot('campaign-email');

    await page.getByLabel('Template').selectOption({ label: 'newsletter (v2)' });
    await eventually(async () => (/News for Ada \(Pro\)/.test(await head.innerText()) ? true : undefined), 5000);
    await page.getByLabel('Categories').fill('4');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await page.getByRole('heading', { name: 'Spring news' }).waitFor();
    const list = await h.inject({ url: '/v1/campaigns', headers: h.auth });
    const c = list.json().items.find((x: { name: string }) => x.name === 'Spring news');
    assert.equal(c.template.version, 2);
    assert.equal(c.categories, 4);
  });

  void test('SMS: the campaign preview and the message page show segments', async () => {
    await page.getByRole('link', { name: 'Campaigns' }).first().click();
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByLabel('Tags').fill('sms');
    await page.getByLabel('Text').fill('Привет, {attributes.name}! ' + 'Это длинное сообщение. '.repeat(3));
    await eventually(
      async () =>
        /2 SMS segments \(UCS-2\)/.test(await page.getByTestId('preview-segments').innerText()) ? true : undefined,
      5000,
      'two UCS-2 segments',
    );
    const m = await post('/v1/messages', { channel: 'sms', to: '+79001112233', text: 'a'.repeat(200) });
    await page.goto(`${h.url}/admin/messages/${m.id}`);
    assert.equal(await page.getByTestId('segments').innerText(), '2 SMS parts');
    assert.deepEqual(errors, []);
  });
});
