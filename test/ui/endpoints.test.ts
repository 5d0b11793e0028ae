import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { buildUi } from '../../scripts/build-ui.ts';
import { eventually, startHerald, type TestHerald } from '../helpers/herald.ts';
import { startSink } from '../helpers/http-sink.ts';
import { launch, SHOTS, signIn, watchErrors } from './browser.ts';

// Screenshots go to docs/screenshots only when asked (HERALD_SCREENSHOTS=1), so a test run leaves the tree clean.
/** The Endpoints page in headless Chromium at 1440 and 390 px, against an in-process Herald. */
void describe('admin UI: endpoints', () => {
  let h: TestHerald;
  let receiver: Awaited<ReturnType<typeof startSink>>;
  let target: Awaited<ReturnType<typeof startSink>>;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let receiverUp = true;

  before(async () => {
    await buildUi({ quiet: true });
    receiver = await startSink(() => ({
      status: receiverUp ? 204 : 503,
      body: receiverUp ? '' : 'down for maintenance',
    }));
    target = await startSink(() => ({ status: 200 }));
    h = await startHerald({ env: { HERALD_RETRY_SCHEDULE: '0,50ms' }, listen: true });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    errors = watchErrors(page);
  });

  after(async () => {
    await browser?.close();
    await h?.stop();
    await receiver?.close();
    await target?.close();
  });

  void test('create an endpoint, see its secret once, its deliveries, test, rotate, disable, replay', async () => {
    await signIn(page, h.url);
    await page.getByRole('link', { name: 'Endpoints', exact: true }).click();
    await page.getByRole('heading', { name: 'Endpoints' }).waitFor();
    await page.getByRole('button', { name: 'New endpoint' }).click();
    await page.getByLabel('URL').fill(`${receiver.url}/herald`);
    await page.getByLabel('Description').fill('CRM status feed');
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    const secret = page.getByTestId('endpoint-secret');
    await secret.waitFor();
    assert.match(await secret.innerText(), /whsec_/);
    await page.screenshot({ path: `${SHOTS}endpoints-1440.png` });
    await page.getByRole('button', { name: 'I have copied it' }).click();
    assert.equal(await page.getByTestId('endpoint-secret').count(), 0, 'the secret is gone once dismissed');

    // Two messages: one delivered, one failed; their events reach the endpoint.
    for (const [path, extra] of [
      ['/ok', {}],
      ['/bad', { maxAttempts: 1 }],
    ] as const) {
      const r = await h.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: h.auth,
        payload: { channel: 'webhook', url: `${target.url}${path}`, ...extra },
      });
      assert.equal(r.statusCode, 202, r.body);
    }
    await eventually(() => (receiver.requests.length >= 1 ? true : undefined), 10_000, 'an event at the receiver');

    await page.getByRole('link', { name: `${receiver.url}/herald` }).click();
    const rows = page.getByTestId('deliveries').locator('tbody tr');
    await rows.first().waitFor();
    await eventually(async () => ((await rows.count()) >= 2 ? true : undefined), 10_000, 'two deliveries listed');
    assert.match(await rows.first().innerText(), /message\.delivered/);

    // A failing receiver: the test ping fails and shows its attempt with the answer.
    receiverUp = false;
    await page.getByRole('button', { name: 'Send test' }).click();
    await eventually(
      async () => (/endpoint\.ping[\s\S]*failed/.test(await rows.first().innerText()) ? true : undefined),
      10_000,
      'the failed ping',
    );
    await rows.first().locator('summary').click();
    assert.match(await rows.first().innerText(), /503/);

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    await page.getByTestId('endpoint-secret').waitFor();
    assert.match(await page.getByText(/the previous secret signs too until/).innerText(), /until/);
    await page.getByRole('button', { name: 'I have copied it' }).click();

    receiverUp = true;
    await rows
      .first()
      .getByRole('button', { name: /^Replay endpoint\.ping/ })
      .click();
    await eventually(
      async () => ((await rows.first().innerText()).includes('delivered') ? true : undefined),
      10_000,
      'the replayed ping delivered',
    );
    assert.match(await rows.first().innerText(), /replay/);

    // Replay every failed event since a time: the notice says how many went again.
    await page.getByLabel('Replay failed since').fill('2020-01-01T00:00');
    await page.getByRole('button', { name: 'Replay failed', exact: true }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /failed events? queued again/ })
      .waitFor({ timeout: 5000 });

    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByTestId('endpoint-disabled').waitFor();
    assert.match(await page.getByTestId('endpoint-disabled').innerText(), /disabled by an operator/);
    await page.screenshot({ path: `${SHOTS}endpoint-1440.png` });

    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('heading', { level: 1 }).waitFor();
    const overflow = await page.evaluate(() => {
      const g = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
      return g.document.documentElement.scrollWidth - g.innerWidth;
    });
    assert.ok(overflow <= 1, `no horizontal scroll at 390 px (${overflow})`);
    await page.screenshot({ path: `${SHOTS}endpoint-390.png` });
    await page.getByRole('button', { name: 'Enable' }).click();
    await eventually(
      async () => ((await page.getByTestId('endpoint-disabled').count()) === 0 ? true : undefined),
      5000,
      'enabled',
    );
    assert.deepEqual(errors, []);
  });
});
