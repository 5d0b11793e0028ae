import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/domain/clock.ts';
import type { ReceiptSource } from '../../src/providers/registry.ts';
import { smsBatchType } from '../../src/providers/sms/sms-batch/sms-batch.provider.ts';
import { signSmsBatch } from '../../src/providers/sms/sms-batch/signing.ts';
import { startSink } from '../helpers/http-sink.ts';
import { startSmsBatchFake, type SmsBatchFake } from '../fakes/sms-batch.fake.ts';
import { createProvider, failure, message, never, providerConfig, success } from './build.ts';

let fake: SmsBatchFake;
before(async () => {
  fake = await startSmsBatchFake({ token: 'k', secret: 'whsec' });
});
after(() => fake.close());

const T0 = Date.UTC(2026, 0, 1);
const make = (options: Record<string, unknown> = {}, clock = new ManualClock(T0)) =>
  createProvider(
    smsBatchType,
    providerConfig('sms-batch', 'sms', { baseUrl: fake.url, token: 'k', batchSize: 100, ...options }),
    clock,
  ) as ReturnType<typeof createProvider> & ReceiptSource;

test('capabilities come from batchSize and lingerMs; validation bounds batchSize', () => {
  const p = make({ lingerMs: 250 });
  assert.deepEqual(p.capabilities, { maxBatch: 100, lingerMs: 250, receipts: true, signedReceipts: false });
  assert.equal(make({ webhookSecret: 's' }).capabilities.signedReceipts, true);
  const problems: string[] = [];
  smsBatchType.validate(providerConfig('sms-batch', 'sms', { baseUrl: fake.url, batchSize: 5000 }), problems);
  assert.equal(problems.length, 2, problems.join('\n'));
  assert.match(problems.join('\n'), /token is required/);
  assert.match(problems.join('\n'), /batchSize must be an integer from 1 to 1000/);
});

test('n messages take ceil(n / batchSize) calls; each is CONFIRMED → sent with the batch id', async () => {
  const p = make({ statusCallbackUrl: 'http://127.0.0.1:1/events' });
  const calls = fake.batches.length;
  const batch = Array.from({ length: 250 }, (_, i) => message('sms', `+7900${String(i).padStart(7, '1')}`));
  const results = await p.send(batch, never());
  assert.equal(fake.batches.length - calls, Math.ceil(250 / 100));
  assert.equal(results.length, 250);
  for (const r of results) assert.equal(success(r).state, 'sent');
  const last = fake.batches.at(-1)!;
  assert.equal(success(results[249]).providerMessageId, last.batchId);
  assert.deepEqual(
    last.ids,
    batch.slice(200).map((m) => m.id),
  );
  const body = JSON.parse(fake.requests.at(-1)!.body) as {
    callbackUrl: string;
    messages: { id: string; to: string }[];
  };
  assert.equal(body.callbackUrl, 'http://127.0.0.1:1/events');
  assert.equal(body.messages[0]!.to, batch[200]!.recipient);
});

test('a number that is not one fails locally; a retried batch is answered from the provider’s dedup', async () => {
  const p = make();
  const good = message('sms', '+79001234567');
  const local = message('sms', 'call me');
  const results = await p.send([good, local], never());
  success(results[0]);
  assert.deepEqual([failure(results[1]).retry, failure(results[1]).blame], ['permanent', 'recipient']);
  const sent = JSON.parse(fake.requests.at(-1)!.body) as { messages: unknown[] };
  assert.equal(sent.messages.length, 1, 'the bad number never leaves');
  // The same id again (a retry after a lost answer): nothing is sent twice.
  const sizeBefore = fake.messages.size;
  const again = await p.send([good], never());
  assert.equal(success(again[0]).state, 'delivered');
  assert.equal(fake.messages.size, sizeBefore);
});

test('the API rejecting a number (REJECTED INVALID_NUMBER) fails only that message', async () => {
  const { startFakeServer, json } = await import('../fakes/fake-server.ts');
  const s = await startFakeServer((req, res) => {
    const ids = (JSON.parse(req.body) as { messages: { id: string }[] }).messages.map((m) => m.id);
    json(res, 200, {
      batchId: 'b1',
      messages: [
        { id: ids[0], status: 'CONFIRMED' },
        { id: ids[1], status: 'REJECTED', error: { code: 'INVALID_NUMBER', message: 'no such number' } },
      ],
    });
  });
  const p = createProvider(smsBatchType, providerConfig('sms-batch', 'sms', { baseUrl: s.url, token: 'k' }));
  const r = await p.send(
    [message('sms', '+79001234567'), message('sms', '+79001234568'), message('sms', '+79001234569')],
    never(),
  );
  success(r[0]);
  assert.match(failure(r[1]).reason, /INVALID_NUMBER/);
  assert.equal(failure(r[1]).retry, 'permanent');
  assert.equal(failure(r[2]).retry, 'transient', 'a message the answer leaves out is retried');
  await p.close?.();
  await s.close();
});

test('whole-batch failures: 401 is the provider’s, 5xx/slow/garbage/down are transient', async () => {
  const batch = () => [message('sms', '+79001230001'), message('sms', '+79001230002')];
  const wrong = make({ token: 'nope' });
  const r401 = await wrong.send(batch(), never());
  for (const r of r401) assert.deepEqual([failure(r).retry, failure(r).blame], ['permanent', 'provider']);
  const p = make();
  fake.setMode('fail', { status: 502, retryAfterSec: 3, times: 1 });
  for (const r of await p.send(batch(), never())) {
    assert.deepEqual([failure(r).retry, failure(r).retryAfterMs], ['transient', 3000]);
  }
  fake.setMode('slow', { delayMs: 1000, times: 1 });
  for (const r of await p.send(batch(), AbortSignal.timeout(100))) assert.match(failure(r).reason, /timed out/);
  fake.setMode('garbage', { times: 3 });
  for (let i = 0; i < 3; i++)
    for (const r of await p.send(batch(), never())) assert.equal(failure(r).retry, 'transient');
  fake.setMode('down', { times: 1 });
  for (const r of await p.send(batch(), never())) assert.equal(failure(r).retry, 'transient');
  for (const r of await p.send(batch(), never())) success(r);
});

test('receipts: signed updates map CONFIRMED/DELIVERED/FAILED; bad, old or missing signatures are refused', async () => {
  const clock = new ManualClock(T0);
  const p = make({ webhookSecret: 'whsec' }, clock);
  const sink = await startSink(() => ({ status: 204 }));
  const ids = ['a', 'b', 'c'];
  const updates = [
    { id: 'a', batchId: 'b1', status: 'CONFIRMED' as const, at: '' },
    { id: 'b', batchId: 'b1', status: 'DELIVERED' as const, at: '' },
    { id: 'c', batchId: 'b1', status: 'FAILED' as const, at: '', error: { code: 'UNREACHABLE', message: 'off' } },
  ];
  // The fake signs the way the doc says: check that what it posts verifies.
  await fake.postUpdates(sink.url, updates);
  const posted = sink.requests[0]!;
  clock.set(Number(posted.headers['x-smsbatch-timestamp']) * 1000);
  const req = (h = posted.headers, raw = posted.body) => ({
    url: 'http://herald/v1/providers/x/events',
    headers: h,
    rawBody: Buffer.from(raw),
    body: JSON.parse(raw) as unknown,
  });
  const ok = await p.parseReceipts(req());
  assert.ok(ok.ok);
  assert.deepEqual(
    ok.receipts.map((r) => [r.messageId, r.to, r.reason ?? null]),
    [
      [ids[0], 'sent', null],
      [ids[1], 'delivered', null],
      [ids[2], 'failed', 'UNREACHABLE: off'],
    ],
  );
  const tampered = await p.parseReceipts(req(posted.headers, posted.body.replace('DELIVERED', 'FAILED')));
  assert.deepEqual(tampered.ok ? 'ok' : [tampered.status, tampered.code], [401, 'HERALD_BAD_SIGNATURE']);
  const unsigned = await p.parseReceipts(req({ 'content-type': 'application/json' }));
  assert.equal(unsigned.ok, false);
  clock.advance(301_000);
  const stale = await p.parseReceipts(req());
  assert.equal(stale.ok ? 'ok' : stale.message, 'X-SmsBatch-Timestamp is too far from now');
  await sink.close();
});

test('receipts: malformed bodies are 400; without a secret, unsigned updates are read', async () => {
  const p = make();
  const raw = (body: string) => ({ url: 'http://h/e', headers: {}, rawBody: Buffer.from(body), body: undefined });
  const bad = await p.parseReceipts(raw('{"updates":[{"id":"a","status":"LOST"}]}'));
  assert.deepEqual(bad.ok ? 'ok' : [bad.status, bad.code], [400, 'HERALD_BAD_RECEIPT']);
  assert.equal((await p.parseReceipts(raw('not json'))).ok, false);
  const good = await p.parseReceipts(raw('{"updates":[{"id":"a","status":"DELIVERED"}]}'));
  assert.ok(good.ok && good.receipts[0]!.to === 'delivered');
});

test('signSmsBatch is HMAC-SHA256 hex over "{timestamp}.{body}"', () => {
  // Independent computation: echo -n '1767225600.{"updates":[]}' | openssl dgst -sha256 -hmac secret
  assert.equal(
    signSmsBatch('secret', 1767225600, '{"updates":[]}'),
    'v1=447af6e4527aec4b6605e14a21d7ba409b0004b89cb2852c2910f40e93220343',
  );
});
