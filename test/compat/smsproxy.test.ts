import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { eventually, startHerald, type TestHerald } from '../helpers/herald.ts';
import { startSmsBatchFake, type SmsBatchFakeOptions } from '../fakes/sms-batch.fake.ts';
import { configFile } from './helpers.ts';

/** Seed 002 against a started Herald whose sms-batch provider is the FastSMSing-style fake. */
void describe('compat: SMS proxy (seed 002)', () => {
  const stops: (() => Promise<void>)[] = [];
  after(async () => {
    for (const s of stops.reverse()) await s();
  });

  async function setup(opts: { batch?: boolean; env?: Record<string, string> } = {}) {
    const fakeOpts: SmsBatchFakeOptions = { token: 'tok', secret: 'whsec-test' };
    const fake = await startSmsBatchFake(fakeOpts);
    stops.push(() => fake.close());
    const providers =
      opts.batch === false
        ? []
        : [
            // A plain sms provider first: seed 002 must still pick the sms-batch one.
            { name: 'first-sms', channel: 'sms', type: 'outbox' },
            {
              name: 'bulk',
              channel: 'sms',
              type: 'sms-batch',
              baseUrl: fake.url,
              token: 'tok',
              batchSize: 10,
              lingerMs: 300,
              webhookSecret: 'whsec-test',
            },
          ];
    const h = await startHerald({ env: { HERALD_CONFIG: configFile({ providers }), ...opts.env }, listen: true });
    stops.push(() => h.stop());
    // Status updates go to Herald's receipts endpoint for this provider.
    fakeOpts.callbackUrl = `${h.url}/v1/providers/bulk/events`;
    const call = (method: string, url: string, payload?: unknown, headers: Record<string, string> = h.auth) =>
      h.inject({
        method: method as 'GET',
        url,
        headers,
        ...(payload !== undefined ? { payload: payload as string } : {}),
      });
    const status = async (id: string) => (await call('GET', `/sms/${id}`)).json().status as string;
    return { h, fake, call, status };
  }

  const until = (h: TestHerald, check: () => Promise<boolean>, what: string) =>
    eventually(async () => ((await check()) ? true : undefined), 10_000, what);

  void test('accepted messages go out in one batch call; statuses follow the provider; final stays final', async () => {
    const { h, fake, call, status } = await setup();
    const numbers = ['+48123456001', '+48123456002', '+48123456003', '+48123450000'];
    const accepted = await Promise.all(
      numbers.map((n) => call('POST', '/sms', { phone_number: n, content: `hi ${n}` })),
    );
    const ids = accepted.map((r) => {
      assert.equal(r.statusCode, 202);
      assert.deepEqual(Object.keys(r.json()), ['id']);
      return r.json().id as string;
    });
    for (const id of ids) assert.equal(await status(id), 'ACCEPTED');
    await until(h, async () => (await Promise.all(ids.map(status))).every((s) => s === 'CONFIRMED'), 'CONFIRMED');
    assert.equal(fake.batches.length, 1, 'one provider call for the whole batch');
    assert.deepEqual([...fake.batches[0]!.ids].sort(), [...ids].sort());
    const m = await h.rt.store.messages.get(ids[0]!);
    assert.equal(m!.provider, 'bulk');
    // FastSMSing reports: DELIVERED, and FAILED for the number ending in 0000.
    await fake.flushUpdates();
    await until(h, async () => (await status(ids[3]!)) === 'FAILED', 'FAILED');
    for (const id of ids.slice(0, 3)) assert.equal(await status(id), 'DELIVERED');
    // Later, contradicting updates change nothing.
    const url = `${h.url}/v1/providers/bulk/events`;
    const at = new Date().toISOString();
    const code = await fake.postUpdates(url, [
      { id: ids[0]!, batchId: 'b', status: 'FAILED', at },
      { id: ids[1]!, batchId: 'b', status: 'CONFIRMED', at },
      { id: ids[3]!, batchId: 'b', status: 'DELIVERED', at },
    ]);
    assert.equal(code, 200);
    assert.deepEqual(await Promise.all(ids.map(status)), ['DELIVERED', 'DELIVERED', 'DELIVERED', 'FAILED']);
    const events = (await call('GET', `/v1/messages/${ids[3]}`)).json().events as { type: string; to: string | null }[];
    const late = events[events.length - 1]!;
    assert.equal(late.type, 'sms-batch.delivered', 'the late update is kept as an event');
    assert.equal(late.to, null, '… without a state change');
  });

  void test('without an sms-batch provider the sms route serves them (the default outbox delivers at once)', async () => {
    const { h, call, status } = await setup({ batch: false });
    const id = (await call('POST', '/sms', { phone_number: '+48123456789', content: 'hi' })).json().id as string;
    await until(h, async () => (await status(id)) === 'DELIVERED', 'DELIVERED');
  });

  void test('a suppressed number is FAILED at once', async () => {
    const { call, status } = await setup();
    await call('POST', '/v1/suppressions', { recipient: '+48 600 000 001', reason: 'STOP' });
    const id = (await call('POST', '/sms', { phone_number: '+48600000001', content: 'promo' })).json().id as string;
    assert.equal(await status(id), 'FAILED');
  });

  void test('field spellings; NOT_FOUND for anything not an SMS of ours', async () => {
    const { call, status } = await setup({ env: {} });
    for (const body of [
      { PhoneNumber: '+48123456789', Content: 'a' },
      { phoneNumber: '+48123456789', content: 'b' },
      { PHONE_NUMBER: '48-123-456-789', CONTENT: 'c', extra: true },
    ]) {
      const r = await call('POST', '/sms', body);
      assert.equal(r.statusCode, 202, JSON.stringify(body));
    }
    assert.equal(await status(randomUUID()), 'NOT_FOUND');
    assert.equal(await status('12345'), 'NOT_FOUND');
    const email = await call('POST', '/v1/messages', {
      channel: 'email',
      to: 'a@example.com',
      from: 'b@example.com',
      subject: 's',
      text: 't',
    });
    assert.equal(await status(email.json().id), 'NOT_FOUND');
  });

  void test('validation: 400 {"error"} for every client mistake, never a 5xx', async () => {
    const { call } = await setup();
    const auth = { authorization: 'Bearer hk_test_key_0123456789abcdef', 'content-type': 'application/json' };
    const cases: [string, RegExp][] = [
      ['{"phone_number": "+48123456789"}', /content must not be empty/],
      ['{"phone_number": "+48123456789", "content": "   "}', /content must not be empty/],
      ['{"phone_number": "+48123456789", "content": 7}', /content must not be empty/],
      ['{"content": "hi"}', /phone_number is required/],
      ['{"phone_number": 48123456789, "content": "hi"}', /phone_number is required and must be a string/],
      ['{"phone_number": "12", "content": "hi"}', /phone_number must be a phone number/],
      ['{"phone_number": "+48 12x", "content": "hi"}', /phone_number must be a phone number/],
      ['[]', /JSON object/],
      ['"x"', /JSON object/],
      ['{"phone_number"', /malformed JSON/],
      ['', /malformed JSON/],
    ];
    for (const [body, want] of cases) {
      const r = await call('POST', '/sms', body, auth);
      assert.equal(r.statusCode, 400, `${body} → ${r.body}`);
      assert.match(r.json().error, want, body);
    }
    const noKey = await call('POST', '/sms', { phone_number: '+48123456789', content: 'hi' }, {});
    assert.equal(noKey.statusCode, 401);
    assert.equal(typeof noKey.json().error, 'string');
  });
});
