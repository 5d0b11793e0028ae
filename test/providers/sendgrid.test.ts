import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { Engagement } from '../../src/domain/message.ts';
import { sendgridType } from '../../src/providers/email/sendgrid/sendgrid.provider.ts';
import type { ReceiptSource } from '../../src/providers/registry.ts';
import { startSink } from '../helpers/http-sink.ts';
import { startSendgridFake, type SendgridFake } from '../fakes/sendgrid.fake.ts';
import { createProvider, failure, message, never, providerConfig, success } from './build.ts';

let fake: SendgridFake;
let sink: Awaited<ReturnType<typeof startSink>>;
before(async () => {
  sink = await startSink(() => ({ status: 200 }));
  fake = await startSendgridFake({ apiKey: 'SG.k', eventsUrl: `${sink.url}/events` });
});
after(async () => {
  await fake.close();
  await sink.close();
});

const make = (options: Record<string, unknown> = {}) =>
  createProvider(
    sendgridType,
    providerConfig('sendgrid', 'email', {
      baseUrl: fake.url,
      apiKey: 'SG.k',
      from: 'Shop <shop@example.com>',
      ...options,
    }),
  ) as ReturnType<typeof createProvider> & ReceiptSource;

const mail = (to: string, over = {}) =>
  message('email', to, { subject: 'Sale', text: 'Hi', html: '<p>Hi</p>', ...over });

test('identical content goes in one request as separate personalizations; different content apart', async () => {
  const p = make();
  assert.deepEqual(p.capabilities, { maxBatch: 1000, lingerMs: 0, receipts: true, signedReceipts: false });
  const before = fake.mails.length;
  const same = [mail('a@x.io'), mail('Bee <b@x.io>'), mail('c@x.io')];
  const batch = [same[0]!, mail('d@x.io', { subject: 'Other' }), same[1]!, mail('e@x.io', { html: null }), same[2]!];
  const results = await p.send(batch, never());
  assert.equal(fake.mails.length - before, 3);
  const grouped = fake.mails.find((m) => m.body.personalizations!.length === 3)!;
  assert.deepEqual(
    grouped.body.personalizations!.map((x) => [x.to, x.custom_args]),
    same.map((m) => [
      [m.recipient.startsWith('Bee') ? { email: 'b@x.io', name: 'Bee' } : { email: m.recipient }],
      { herald_id: m.id },
    ]),
  );
  assert.deepEqual(grouped.body.from, { email: 'shop@example.com', name: 'Shop' });
  assert.deepEqual(
    grouped.body.content!.map((c) => c.type),
    ['text/plain', 'text/html'],
  );
  for (const r of results) assert.equal(success(r).state, 'sent');
  assert.equal(success(results[0]).providerMessageId, grouped.messageId);
  assert.equal(success(results[4]).providerMessageId, grouped.messageId);
  assert.equal(fake.requests.at(-1)!.headers.authorization, 'Bearer SG.k');
});

test('batchSize caps personalizations per request', async () => {
  const p = make({ batchSize: 2 });
  const before = fake.mails.length;
  await p.send([mail('a@x.io'), mail('b@x.io'), mail('c@x.io')], never());
  assert.deepEqual(
    fake.mails.slice(before).map((m) => m.body.personalizations!.length),
    [2, 1],
  );
});

test('a bad address fails only its message; the rest of the group is sent again without it', async () => {
  const p = make();
  const before = fake.mails.length;
  const r = await p.send([mail('a@x.io'), mail('not-an-address'), mail('c@x.io')], never());
  success(r[0]);
  success(r[2]);
  const bad = failure(r[1]);
  assert.deepEqual([bad.retry, bad.blame, bad.statusCode], ['permanent', 'recipient', 400]);
  assert.match(bad.reason, /personalizations\.1\.to\.0\.email/);
  assert.equal(fake.mails.length - before, 1);
  assert.equal(fake.mails.at(-1)!.body.personalizations!.length, 2);
});

test('a content error fails the whole group; missing sender or body fail locally', async () => {
  const p = make({ from: 'not an address' });
  const r = await p.send([mail('a@x.io'), mail('b@x.io')], never());
  for (const x of r) assert.match(failure(x).reason, /from\.email/);
  const q = make({ from: undefined });
  assert.match(failure((await q.send([mail('a@x.io')], never()))[0]).reason, /no sender/);
  assert.match(
    failure((await make().send([mail('a@x.io', { text: null, html: null })], never()))[0]).reason,
    /needs a text or html/,
  );
});

test('401/403 are the provider’s; 413 permanent; 429/5xx/slow/garbage/down transient', async () => {
  const wrong = make({ apiKey: 'SG.wrong' });
  const f401 = failure((await wrong.send([mail('a@x.io')], never()))[0]);
  assert.deepEqual([f401.retry, f401.blame], ['permanent', 'provider']);
  assert.match(f401.reason, /authorization grant/);
  const p = make();
  const one = async (signal = never()) => failure((await p.send([mail('a@x.io')], signal))[0]);
  fake.setMode('fail', { status: 403, times: 1 });
  const f403 = await one();
  assert.deepEqual([f403.retry, f403.blame], ['permanent', 'provider']);
  fake.setMode('fail', { status: 413, times: 1 });
  assert.equal((await one()).retry, 'permanent');
  fake.setMode('fail', { status: 429, retryAfterSec: 4, times: 1 });
  const f429 = await one();
  assert.deepEqual([f429.retry, f429.retryAfterMs], ['transient', 4000]);
  fake.setMode('fail', { status: 503, times: 1 });
  assert.equal((await one()).retry, 'transient');
  fake.setMode('slow', { delayMs: 1000, times: 1 });
  assert.match((await one(AbortSignal.timeout(100))).reason, /timed out/);
  fake.setMode('garbage', { times: 3 });
  for (let i = 0; i < 3; i++) assert.equal((await one()).retry, 'transient');
  fake.setMode('down', { times: 1 });
  assert.equal((await one()).retry, 'transient');
});

const receiptOf = (r: { headers: Record<string, string | string[] | undefined>; body: string }) => ({
  url: 'http://h/v1/providers/sg/events',
  headers: r.headers,
  rawBody: Buffer.from(r.body),
  body: JSON.parse(r.body) as unknown,
});

test('signed events from the fake verify and map to states and engagement', async () => {
  const p = make({ webhookPublicKey: fake.publicKey });
  assert.equal(p.capabilities.signedReceipts, true);
  fake.pendingEvents.length = 0;
  const [ok, bounced, dropped] = [mail('ok@x.io'), mail('bounce@x.io'), mail('drop@x.io')];
  await p.send([ok, bounced, dropped], never());
  assert.equal(await fake.flushEvents(), 200);
  const parsed = await p.parseReceipts(receiptOf(sink.requests.at(-1)!));
  assert.ok(parsed.ok);
  assert.deepEqual(
    parsed.receipts.map((r) => [r.messageId, r.type, r.to]),
    [
      [ok.id, 'sendgrid.processed', undefined],
      [ok.id, 'sendgrid.delivered', 'delivered'],
      [bounced.id, 'sendgrid.processed', undefined],
      [bounced.id, 'sendgrid.bounce', 'bounced'],
      [dropped.id, 'sendgrid.processed', undefined],
      [dropped.id, 'sendgrid.dropped', 'failed'],
    ],
  );
  assert.equal(parsed.receipts[3]!.reason, '5.1.1 550 5.1.1 No such user');
});

test('engagement events, blocked bounces, deferrals and foreign events', async () => {
  const p = make({ webhookPublicKey: fake.publicKey });
  const ev = (event: string, extra = {}) => ({
    event,
    email: 'a@x.io',
    herald_id: 'h1',
    sg_message_id: 'X.1',
    ...extra,
  });
  await fake.postEvents(`${sink.url}/events`, [
    ev('deferred'),
    ev('bounce', { type: 'blocked', reason: 'IP blocked' }),
    ev('open'),
    ev('click', { url: 'https://x' }),
    ev('spamreport'),
    ev('unsubscribe'),
    { event: 'delivered', email: 'z@x.io', sg_message_id: 'Y.1' }, // not Herald's: skipped
  ]);
  const parsed = await p.parseReceipts(receiptOf(sink.requests.at(-1)!));
  assert.ok(parsed.ok);
  assert.deepEqual(
    parsed.receipts.map((r) => [r.type, r.to, r.engagement]),
    [
      ['sendgrid.deferred', undefined, undefined],
      ['sendgrid.bounce', 'failed', undefined],
      ['sendgrid.open', undefined, Engagement.opened],
      ['sendgrid.click', undefined, Engagement.clicked],
      ['sendgrid.spamreport', undefined, Engagement.spam],
      ['sendgrid.unsubscribe', undefined, Engagement.unsubscribed],
    ],
  );
});

test('a signature by another key or over another body is refused; without a key events are read', async () => {
  const p = make({ webhookPublicKey: fake.publicKey });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  await fake.postEvents(`${sink.url}/events`, [{ event: 'delivered', herald_id: 'h1' }], other);
  const forged = await p.parseReceipts(receiptOf(sink.requests.at(-1)!));
  assert.deepEqual(forged.ok ? 'ok' : [forged.status, forged.code], [401, 'HERALD_BAD_SIGNATURE']);
  await fake.postEvents(`${sink.url}/events`, [{ event: 'delivered', herald_id: 'h1' }]);
  const good = sink.requests.at(-1)!;
  assert.ok((await p.parseReceipts(receiptOf(good))).ok);
  const changed = { ...good, body: good.body.replace('h1', 'h2') };
  assert.equal((await p.parseReceipts(receiptOf(changed))).ok, false);
  const unsigned = make();
  const r = await unsigned.parseReceipts(receiptOf({ headers: {}, body: '[{"event":"delivered","herald_id":"h1"}]' }));
  assert.ok(r.ok && r.receipts[0]!.to === 'delivered');
  const notArray = await unsigned.parseReceipts({ url: 'x', headers: {}, rawBody: Buffer.from('{}'), body: {} });
  assert.deepEqual(notArray.ok ? 'ok' : [notArray.status, notArray.code], [400, 'HERALD_BAD_RECEIPT']);
});

test('validation: a public key that is not one is reported', () => {
  const problems: string[] = [];
  sendgridType.validate(
    providerConfig('sendgrid', 'email', { webhookPublicKey: 'bm9wZQ==' }, { name: 'sg' }),
    problems,
  );
  assert.deepEqual(problems.sort(), [
    'providers[sg].apiKey is required',
    "providers[sg].webhookPublicKey must be SendGrid's base64 (SPKI DER) EC public key",
  ]);
});
