import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { Config, ProviderConfig } from '../config/config.ts';
import { ManualClock } from '../domain/clock.ts';
import type { Channel, Message } from '../domain/message.ts';
import type { ProviderSet } from './build.ts';
import type { DeliveryResult, Provider } from './provider.ts';
import { ProviderRouter } from './provider.router.ts';
import type { CallRecord } from './stats/provider-stats.ts';

const breaker = { failureThreshold: 2, cooldownMs: 1000, maxCooldownMs: 8000 };
const config = { worker: { breaker }, providers: [] as ProviderConfig[] } as unknown as Config;

/** A provider that answers what `answer` says and remembers each call's recipients. */
function fake(name: string, answer: (m: Message) => DeliveryResult, maxBatch = 10) {
  const calls: string[][] = [];
  const provider: Provider = {
    name,
    type: 'fake',
    channel: 'email',
    capabilities: { maxBatch, lingerMs: 0, receipts: false, signedReceipts: false },
    send: async (batch) => {
      calls.push(batch.map((m) => m.recipient));
      return batch.map(answer);
    },
  };
  return { provider, calls };
}

function cfg(name: string, channel: Channel = 'email'): ProviderConfig {
  return {
    name,
    channel,
    type: 'fake',
    concurrency: 3,
    rateLimit: 7,
    timeoutMs: 1234,
    retry: { scheduleMs: [0, 10], maxAttempts: 2 },
    options: {},
  };
}

function router(providers: ReturnType<typeof fake>[], route = providers.map((p) => p.provider.name), conf = config) {
  const set: ProviderSet = {
    byName: new Map(providers.map((p) => [p.provider.name, { provider: p.provider, config: cfg(p.provider.name) }])),
    routes: { email: route, sms: [] },
  };
  const clock = new ManualClock();
  const records: CallRecord[] = [];
  const stats = { record: (c: CallRecord) => void records.push(c), stop: async () => undefined };
  const r = new ProviderRouter({ set, config: conf, clock, logger: pino({ level: 'silent' }), stats });
  return { r, clock, records };
}

function msg(recipient: string): Message {
  return { id: `id-${recipient}`, channel: 'email', recipient, attempts: 0 } as Message;
}
const signal = new AbortController().signal;
const ok: DeliveryResult = { ok: true, state: 'sent' };
const down: DeliveryResult = { ok: false, retry: 'transient', blame: 'provider', reason: 'ECONNREFUSED' };
const badKey: DeliveryResult = { ok: false, retry: 'permanent', blame: 'provider', reason: 'HTTP 401' };
const noUser: DeliveryResult = { ok: false, retry: 'permanent', blame: 'recipient', reason: 'SMTP 550' };

test('settings come from the first provider of the lane; unknown lanes are not served', () => {
  const a = fake('a', () => ok, 50);
  const { r } = router([a]);
  assert.deepEqual(r.settings('email'), {
    concurrency: 3,
    batchSize: 50,
    lingerMs: 0,
    ratePerSec: 7,
    timeoutMs: 1234,
    retry: { scheduleMs: [0, 10], maxAttempts: 2 },
    breaker,
  });
  assert.equal(r.settings('a')?.batchSize, 50);
  assert.equal(r.settings('sms'), undefined, 'an empty route serves nothing');
  assert.equal(r.settings('webhook:http://x'), undefined);
  assert.equal(r.settings('nobody'), undefined);
});

test('a transient failure stays with the first provider until its breaker opens, then fails over', async () => {
  const a = fake('a', () => down);
  const b = fake('b', () => ok);
  const { r, records } = router([a, b]);
  const first = await r.deliver('email', [msg('x@example.com')], signal);
  assert.deepEqual(
    first.map((x) => [x.provider, x.ok]),
    [['a', false]],
  );
  assert.equal(b.calls.length, 0, 'one failure (threshold 2) does not fail over');
  const second = await r.deliver('email', [msg('y@example.com')], signal);
  assert.deepEqual(
    second.map((x) => [x.provider, x.ok]),
    [['b', true]],
    'the failure that opened the breaker fails over at once',
  );
  await r.deliver('email', [msg('z@example.com')], signal);
  assert.equal(a.calls.length, 2, 'an open breaker is skipped without a call');
  assert.deepEqual(b.calls, [['y@example.com'], ['z@example.com']]);
  assert.equal(r.describe().find((p) => p.name === 'a')?.breaker, 'open');
  assert.deepEqual(
    records.map((c) => [c.provider, c.results.length]),
    [
      ['a', 1],
      ['a', 1],
      ['b', 1],
      ['b', 1],
    ],
  );
});

test('after the cooldown the first provider gets a probe, and success closes its breaker', async () => {
  let healthy = false;
  const a = fake('a', () => (healthy ? ok : down));
  const b = fake('b', () => ok);
  const { r, clock } = router([a, b]);
  await r.deliver('email', [msg('1@x.io')], signal);
  await r.deliver('email', [msg('2@x.io')], signal);
  assert.equal(r.describe()[0]!.breaker, 'open');
  healthy = true;
  clock.advance(1000);
  const res = await r.deliver('email', [msg('3@x.io')], signal);
  assert.equal(res[0]!.provider, 'a');
  assert.equal(r.describe()[0]!.breaker, 'closed');
});

test("permanent failures fail over when they are the provider's, never when they are the recipient's", async () => {
  const a = fake('a', (m) => (m.recipient.startsWith('nouser') ? noUser : badKey));
  const b = fake('b', () => ok);
  const { r } = router([a, b]);
  const res = await r.deliver('email', [msg('ann@x.io'), msg('nouser@x.io')], signal);
  assert.deepEqual(
    res.map((x) => [x.provider, x.ok]),
    [
      ['b', true],
      ['a', false],
    ],
  );
  assert.deepEqual(b.calls, [['ann@x.io']], 'only the message the provider failed moves on');
});

test('the last provider is always called, even with its breaker open', async () => {
  const a = fake('a', () => down);
  const { r } = router([a]);
  for (let i = 0; i < 4; i++) await r.deliver('email', [msg(`${i}@x.io`)], signal);
  assert.equal(a.calls.length, 4);
  assert.equal(r.describe()[0]!.breaker, 'open');
});

test('@test recipients complete as delivered without reaching a provider', async () => {
  const a = fake('a', () => ok);
  const { r, records } = router([a]);
  const res = await r.deliver('email', [msg('qa@test'), msg('ann@x.io'), msg('QA@TEST')], signal);
  assert.deepEqual(
    res.map((x) => [x.provider, x.ok && x.state]),
    [
      ['test-sink', 'delivered'],
      ['a', 'sent'],
      ['test-sink', 'delivered'],
    ],
  );
  assert.deepEqual(a.calls, [['ann@x.io']]);
  assert.equal(records.length, 1);
});

test('a batch fails over to a provider with a smaller maxBatch in several calls', async () => {
  const a = fake('a', () => badKey, 10);
  const b = fake('b', () => ok, 2);
  const { r } = router([a, b]);
  const batch = ['1', '2', '3', '4', '5'].map((n) => msg(`${n}@x.io`));
  const res = await r.deliver('email', batch, signal);
  assert.ok(res.every((x) => x.ok && x.provider === 'b'));
  assert.deepEqual(
    b.calls.map((c) => c.length),
    [2, 2, 1],
  );
});

test('a provider that throws or answers short gives transient results, never a throw', async () => {
  const thrower: Provider = {
    ...fake('a', () => ok).provider,
    send: () => Promise.reject(new Error('boom')),
  };
  const { r } = router([{ provider: thrower, calls: [] }]);
  const res = await r.deliver('email', [msg('a@x.io')], signal);
  assert.equal(res[0]!.ok, false);
  assert.match(!res[0]!.ok ? res[0]!.reason : '', /boom/);
  const shorty: Provider = { ...thrower, name: 'a', send: async () => [] };
  const { r: r2 } = router([{ provider: shorty, calls: [] }]);
  const res2 = await r2.deliver('email', [msg('a@x.io')], signal);
  assert.equal(!res2[0]!.ok && res2[0]!.retry, 'transient');
});

test("a provider's maxAttempts ends a transient failure on its last attempt", async () => {
  const a = fake('a', () => down);
  const { r } = router([a]); // cfg(): maxAttempts 2
  const first = await r.deliver('email', [{ ...msg('x@y.io'), attempts: 0 }], signal);
  assert.equal(!first[0]!.ok && first[0]!.retry, 'transient');
  const last = await r.deliver('email', [{ ...msg('x@y.io'), attempts: 1 }], signal);
  assert.equal(!last[0]!.ok && last[0]!.retry, 'permanent');
  assert.match(!last[0]!.ok ? last[0]!.reason : '', /gave up after 2 attempts \(a maxAttempts 2\): ECONNREFUSED/);
});

/** Breakers that never open here: the attempt rule alone. */
const patient = { ...config, worker: { breaker: { ...breaker, failureThreshold: 100 } } } as unknown as Config;

test('each provider of a route has attemptsBeforeFailover attempts of a message, then the next takes it', async () => {
  const a = fake('a', () => down);
  const b = fake('b', () => down);
  const c = fake('c', () => down);
  const { r } = router([a, b, c], undefined, patient);
  const at = (attempts: number) => ({ ...msg(`n${attempts}@x.io`), attempts });
  const seen: [string, string | undefined][] = [];
  for (let n = 0; n < 6; n++) {
    const [res] = await r.deliver('email', [at(n)], signal);
    seen.push([res!.provider, res!.ok ? undefined : (res as { nextProvider?: string }).nextProvider]);
  }
  assert.deepEqual(seen, [
    ['a', undefined],
    ['a', 'b'],
    ['b', undefined],
    ['b', 'c'],
    ['c', undefined],
    ['c', undefined],
  ]);
});

test('the share is per provider (attemptsBeforeFailover) and never more than its maxAttempts', async () => {
  const a = fake('a', () => down);
  const b = fake('b', () => down);
  const set: ProviderSet = {
    byName: new Map([
      ['a', { provider: a.provider, config: { ...cfg('a'), attemptsBeforeFailover: 3 } }],
      ['b', { provider: b.provider, config: { ...cfg('b'), attemptsBeforeFailover: 5 } }],
    ]),
    routes: { email: ['a', 'b'], sms: [] },
  };
  const stats = { record: () => undefined, stop: async () => undefined };
  const r = new ProviderRouter({
    set,
    config: patient,
    clock: new ManualClock(),
    logger: pino({ level: 'silent' }),
    stats,
  });
  const providerAt = async (attempts: number) =>
    (await r.deliver('email', [{ ...msg('x@x.io'), attempts }], signal))[0]!.provider;
  // cfg() gives maxAttempts 2: a's share is min(3, 2).
  assert.deepEqual(await Promise.all([0, 1, 2, 3].map(providerAt)), ['a', 'a', 'b', 'b']);
});
