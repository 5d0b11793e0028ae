import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startHerald, type TestHerald } from '../helpers/herald.ts';
import { launch, watchErrors } from './browser.ts';

/** Issue 14: Swagger UI at /docs in a real Chromium: Herald's branding, both documents, locks only where a key is needed. */
describe('API docs (Swagger UI)', () => {
  let h: TestHerald;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  before(async () => {
    h = await startHerald({ roles: ['api'], listen: true });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    errors = watchErrors(page);
  });
  after(async () => {
    await browser?.close();
    await h?.stop();
  });

  const block = (id: string) => page.locator(`#operations-${id}`);

  test("Herald's name and logo, the native API first, under the admin UI's CSP", async () => {
    await page.goto(`${h.url}/docs/`);
    await block('messages-createMessage').waitFor();
    assert.equal(await page.title(), 'Herald API');
    assert.match(await page.locator('.info .title').innerText(), /^Herald/);
    assert.match(await page.locator('.info .description').innerText(), /Authorization: Bearer/);
    const logo = page.locator('.topbar img');
    assert.match(String(await logo.getAttribute('src')), /^data:image\/svg\+xml;base64,/);
    assert.deepEqual(await page.locator('.topbar select option').allInnerTexts(), ['Herald API', 'Compatibility APIs']);
    assert.deepEqual(errors, [], 'no script or style was blocked');
    if (process.env.HERALD_SCREENSHOTS) await page.screenshot({ path: 'docs/screenshots/api-docs.png' });
  });

  test('a lock only on operations that need a key', async () => {
    await block('health-healthz').waitFor();
    assert.equal(await block('messages-createMessage').locator('.authorization__btn').count(), 1);
    assert.equal(await block('health-healthz').locator('.authorization__btn').count(), 0);
    assert.equal(await block('health-readyz').locator('.authorization__btn').count(), 0);
  });

  test('the pre-filled example of POST /v1/messages is a valid e-mail', async () => {
    await block('messages-createMessage').locator('.opblock-summary').click();
    const example = await block('messages-createMessage')
      .locator('.body-param__example, .microlight')
      .first()
      .innerText();
    const body = JSON.parse(example);
    const r = await h.inject({ method: 'POST', url: '/v1/messages', headers: h.auth, payload: body });
    assert.equal(r.statusCode, 202, r.body);
  });

  test('the compatibility APIs are one choice away', async () => {
    await page.locator('.topbar select').selectOption({ label: 'Compatibility APIs' });
    await page.getByText('/api/clients/', { exact: true }).first().waitFor();
    assert.match(await page.locator('.info .title').innerText(), /compatibility/i);
    assert.deepEqual(errors, []);
  });
});
