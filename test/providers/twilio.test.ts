import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Engagement } from '../../src/domain/message.ts';
import type { ReceiptParse, ReceiptRequest, ReceiptSource } from '../../src/providers/registry.ts';
import { twilioType } from '../../src/providers/sms/twilio/twilio.provider.ts';
import { startSink } from '../helpers/http-sink.ts';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio.fake.ts';
import { createProvider, failure, message, never, providerConfig, success } from './build.ts';

let fake: TwilioFake;
let sink: Awaited<ReturnType<typeof startSink>>;
before(async () => {
  fake = await startTwilioFake({ authToken: 'tok' });
  sink = await startSink(() => ({ status: 204, body: '' }));
});
after(async () => {
  await fake.close();
  await sink.close();
});

const callbackUrl = () => `${sink.url}/v1/providers/tw/events`;
const make = (options: Record<string, unknown> = {}) =>
  createProvider(
    twilioType,
    providerConfig('twilio', 'sms', {
      baseUrl: fake.url,
      accountSid: fake.accountSid,
      authToken: 'tok',
      from: '+15005550006',
      statusCallbackUrl: callbackUrl(),
      ...options,
    }),
  ) as ReturnType<typeof createProvider> & ReceiptSource;

test('posts the form with basic auth and a StatusCallback naming the message; 201 sid → sent', async () => {
  const p = make();
  const m = message('sms', '+1 415 555 0100', { text: 'Hi & bye' });
  const ok = success((await p.send([m], never()))[0]);
  assert.equal(ok.state, 'sent');
  const sent = fake.sent.at(-1)!;
  assert.equal(ok.providerMessageId, sent.sid);
  assert.match(sent.sid, /^SM[0-9a-f]{32}$/);
  assert.equal(sent.params.To, '+14155550100');
  assert.equal(sent.params.From, '+15005550006');
  assert.equal(sent.params.Body, 'Hi & bye');
  assert.equal(sent.params.StatusCallback, `${callbackUrl()}?herald_id=${m.id}`);
  // A message's own sender wins; without from, the messaging service is used.
  const svc = make({ from: undefined, messagingServiceSid: 'MG123' });
  await svc.send([message('sms', '+14155550101'), message('sms', '+14155550102', { sender: '+15005550007' })], never());
  assert.equal(fake.sent.at(-2)!.params.MessagingServiceSid, 'MG123');
  assert.equal(fake.sent.at(-1)!.params.From, '+15005550007');
});

test('validation needs credentials and a sender', () => {
  const problems: string[] = [];
  twilioType.validate(providerConfig('twilio', 'sms', {}, { name: 'tw' }), problems);
  assert.deepEqual(problems, [
    'providers[tw].accountSid is required',
    'providers[tw].authToken is required',
    'providers[tw]: twilio needs from or messagingServiceSid',
  ]);
});

test('error codes: invalid or opted-out recipients are theirs, region permission and credentials the provider’s', async () => {
  const p = make();
  const cases: [string, string, string][] = [
    ['+15005550001', 'recipient', '21211'],
    ['+15005550004', 'recipient', '21610'],
    ['+15005550009', 'recipient', '21614'],
    ['+15005550003', 'provider', '21408'],
  ];
  for (const [to, blame, code] of cases) {
    const f = failure((await p.send([message('sms', to)], never()))[0]);
    assert.deepEqual([f.retry, f.blame, f.statusCode], ['permanent', blame, 400], to);
    assert.match(f.reason, new RegExp(`Twilio ${code}`));
  }
  const wrong = make({ authToken: 'nope' });
  const f401 = failure((await wrong.send([message('sms', '+14155550100')], never()))[0]);
  assert.deepEqual([f401.retry, f401.blame, f401.statusCode], ['permanent', 'provider', 401]);
  assert.match(f401.reason, /20003/);
});

test('429, 5xx, slow, garbage and down are transient', async () => {
  const p = make();
  const one = async (signal = never()) => failure((await p.send([message('sms', '+14155550100')], signal))[0]);
  fake.setMode('fail', { status: 500, times: 1 });
  assert.equal((await one()).retry, 'transient');
  fake.setMode('fail', { status: 429, retryAfterSec: 2, times: 1 });
  const f429 = await one();
  assert.deepEqual([f429.retry, f429.retryAfterMs], ['transient', 2000]);
  fake.setMode('slow', { delayMs: 1000, times: 1 });
  assert.match((await one(AbortSignal.timeout(100))).reason, /timed out/);
  fake.setMode('garbage', { times: 3 });
  for (let i = 0; i < 3; i++) assert.equal((await one()).retry, 'transient');
  fake.setMode('down', { times: 1 });
  assert.equal((await one()).retry, 'transient');
});

/** What the receipts endpoint would hand over for a request the sink received. */
function asReceipt(r: {
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}): ReceiptRequest {
  return {
    url: `${sink.url}${r.url}`,
    headers: r.headers,
    rawBody: Buffer.from(r.body),
    body: Object.fromEntries(new URLSearchParams(r.body)),
  };
}

test('status callbacks: signed by the fake, verified and mapped; ErrorCode reaches the reason', async () => {
  const p = make();
  await fake.flushCallbacks(); // what earlier tests left
  const okMsg = message('sms', '+14155550100');
  const badMsg = message('sms', '+14155550000');
  const [a, b] = await p.send([okMsg, badMsg], never());
  success(a);
  success(b);
  const from = sink.requests.length;
  assert.deepEqual(await fake.flushCallbacks(), [204, 204, 204, 204]);
  const parsed = sink.requests.slice(from).map((r) => p.parseReceipts(asReceipt(r)) as ReceiptParse);
  const rows = parsed.map((x) => (x.ok ? [x.receipts[0]!.messageId, x.receipts[0]!.to, x.receipts[0]!.type] : x));
  assert.deepEqual(rows, [
    [okMsg.id, 'sent', 'twilio.sent'],
    [okMsg.id, 'delivered', 'twilio.delivered'],
    [badMsg.id, 'sent', 'twilio.sent'],
    [badMsg.id, 'failed', 'twilio.undelivered'],
  ]);
  const last = parsed[3]!;
  assert.ok(last.ok);
  assert.equal(last.receipts[0]!.reason, 'Twilio undelivered (ErrorCode 30003)');
  assert.equal(last.receipts[0]!.providerMessageId, success(b).providerMessageId);
});

test('status callbacks: queued/sending/accepted change nothing; read is delivered and opened', async () => {
  const p = make();
  const url = `${callbackUrl()}?herald_id=abc`;
  for (const [status, to, engagement] of [
    ['queued', undefined, undefined],
    ['sending', undefined, undefined],
    ['accepted', undefined, undefined],
    ['failed', 'failed', undefined],
    ['read', 'delivered', Engagement.opened],
  ] as const) {
    const params = { MessageSid: 'SM1', MessageStatus: status, AccountSid: fake.accountSid };
    await fake.postCallback(url, params);
    const r = await p.parseReceipts(asReceipt(sink.requests.at(-1)!));
    assert.ok(r.ok, status);
    assert.deepEqual([r.receipts[0]!.to, r.receipts[0]!.engagement, r.receipts[0]!.messageId], [to, engagement, 'abc']);
  }
});

test('status callbacks: a bad signature, another token, a changed URL or parameter are refused', async () => {
  const p = make();
  const url = `${callbackUrl()}?herald_id=abc`;
  await fake.postCallback(url, { MessageSid: 'SM1', MessageStatus: 'delivered' }, 'another-token');
  const forged = await p.parseReceipts(asReceipt(sink.requests.at(-1)!));
  assert.deepEqual(forged.ok ? 'ok' : [forged.status, forged.code], [401, 'HERALD_BAD_SIGNATURE']);
  await fake.postCallback(url, { MessageSid: 'SM1', MessageStatus: 'delivered' });
  const good = sink.requests.at(-1)!;
  assert.ok((await p.parseReceipts(asReceipt(good))).ok);
  const otherId = { ...good, url: good.url.replace('herald_id=abc', 'herald_id=abd') };
  assert.equal((await p.parseReceipts(asReceipt(otherId))).ok, false);
  const changed = { ...good, body: good.body.replace('delivered', 'failed') };
  assert.equal((await p.parseReceipts(asReceipt(changed))).ok, false);
  const unsigned = { ...good, headers: { ...good.headers, 'x-twilio-signature': undefined } };
  assert.equal((await p.parseReceipts(asReceipt(unsigned))).ok, false);
});

test('the configured public URL is accepted when the endpoint sees another host (a proxy)', async () => {
  const p = make({ statusCallbackUrl: 'https://herald.example.com/v1/providers/tw/events' });
  const params = { MessageSid: 'SM9', MessageStatus: 'delivered' };
  const signed = fake.sign('https://herald.example.com/v1/providers/tw/events?herald_id=x', params);
  const r = await p.parseReceipts({
    url: 'http://10.0.0.5:3000/v1/providers/tw/events?herald_id=x',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signed },
    rawBody: Buffer.from(new URLSearchParams(params).toString()),
    body: params,
  });
  assert.ok(r.ok && r.receipts[0]!.to === 'delivered' && r.receipts[0]!.messageId === 'x');
});
