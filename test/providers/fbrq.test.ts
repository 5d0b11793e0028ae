import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fbrqType } from '../../src/providers/sms/fbrq/fbrq.provider.ts';
import { fbrqMessageId } from '../../src/providers/sms/fbrq/msg-id.ts';
import { startFbrqFake, type FbrqFake } from '../fakes/fbrq.fake.ts';
import { createProvider, failure, message, never, providerConfig, success } from './build.ts';

let fake: FbrqFake;
before(async () => {
  fake = await startFbrqFake({ token: 'secret-jwt' });
});
after(() => fake.close());

const make = (options: Record<string, unknown> = {}) =>
  createProvider(fbrqType, providerConfig('fbrq', 'sms', { baseUrl: fake.url, token: 'secret-jwt', ...options }));

test('sends one message per call with the int64 id in path and body; OK is delivered', async () => {
  const p = make();
  fake.setMode('ok');
  const m = message('sms', '+7 (900) 123-45-67', { text: 'Привет "мир"' });
  const [r] = await p.send([m], never());
  const ok = success(r);
  assert.equal(ok.state, 'delivered');
  assert.equal(ok.providerMessageId, fbrqMessageId(m.id).toString());
  const last = fake.requests.at(-1)!;
  assert.equal(last.path, `/v1/send/${ok.providerMessageId}`);
  assert.equal(last.headers.authorization, 'Bearer secret-jwt');
  assert.deepEqual(fake.sent.at(-1), { id: ok.providerMessageId, phone: '79001234567', text: 'Привет "мир"' });
  await p.close?.();
});

test('validation reports a missing token, a bad baseUrl and an unknown option together', () => {
  const problems: string[] = [];
  fbrqType.validate(providerConfig('fbrq', 'sms', { baseUrl: 'ftp://x', tokn: 'x' }, { name: 'sms' }), problems);
  assert.equal(problems.length, 3, problems.join('\n'));
  assert.match(problems[0]!, /^providers\[sms\]\.baseUrl /);
  assert.equal(problems[1], 'providers[sms].token is required');
  assert.match(problems[2]!, /^providers\[sms\]\.tokn /);
});

test('a wrong token is permanent and the provider’s fault; a bad number never leaves', async () => {
  const p = make({ token: 'wrong' });
  const before = fake.requests.length;
  const [bad, unauthorized] = await p.send([message('sms', 'not-a-phone'), message('sms', '79001234567')], never());
  assert.equal(failure(bad).blame, 'recipient');
  assert.equal(failure(bad).retry, 'permanent');
  assert.equal(fake.requests.length, before + 1);
  assert.deepEqual([failure(unauthorized).retry, failure(unauthorized).blame], ['permanent', 'provider']);
  assert.equal(failure(unauthorized).statusCode, 401);
  await p.close?.();
});

test('400 is permanent; 5xx is transient and carries Retry-After', async () => {
  const p = make();
  fake.setMode('fail', { status: 400, times: 1 });
  const f400 = failure((await p.send([message('sms', '79001234567')], never()))[0]);
  assert.deepEqual([f400.retry, f400.blame, f400.statusCode], ['permanent', 'recipient', 400]);
  fake.setMode('fail', { status: 503, retryAfterSec: 7, times: 1 });
  const f503 = failure((await p.send([message('sms', '79001234567')], never()))[0]);
  assert.deepEqual([f503.retry, f503.blame, f503.retryAfterMs], ['transient', 'provider', 7000]);
  await p.close?.();
});

test('slow answers time out as transient; garbage and resets are transient', async () => {
  const p = make();
  fake.setMode('slow', { delayMs: 1000 });
  const slow = failure((await p.send([message('sms', '79001234567')], AbortSignal.timeout(100)))[0]);
  assert.equal(slow.retry, 'transient');
  assert.match(slow.reason, /timed out/);
  fake.setMode('garbage');
  for (let i = 0; i < 3; i++) {
    const g = failure((await p.send([message('sms', '79001234567')], never()))[0]);
    assert.equal(g.retry, 'transient', g.reason);
    assert.match(g.reason, /malformed/);
  }
  fake.setMode('down');
  const down = failure((await p.send([message('sms', '79001234567')], never()))[0]);
  assert.deepEqual([down.retry, down.blame], ['transient', 'provider']);
  fake.setMode('ok');
  success((await p.send([message('sms', '79001234567')], never()))[0]);
  await p.close?.();
});

test('{"message":"OK"} without a code is success; a non-zero code is not', async (t) => {
  const { startFakeServer, json } = await import('../fakes/fake-server.ts');
  let answer: unknown = { message: 'OK' };
  const s = await startFakeServer((_req, res) => json(res, 200, answer));
  t.after(() => s.close());
  const p = createProvider(fbrqType, providerConfig('fbrq', 'sms', { baseUrl: s.url, token: 't' }));
  t.after(async () => p.close?.());
  success((await p.send([message('sms', '79001234567')], never()))[0]);
  answer = { code: 3, message: 'OK' };
  assert.equal(failure((await p.send([message('sms', '79001234567')], never()))[0]).retry, 'transient');
});

test('the fake refuses what the real API refuses: a body id other than the path id, a non-integer phone', async () => {
  const { request } = await import('undici');
  const post = async (path: string, body: string) => {
    const r = await request(`${fake.url}${path}`, {
      method: 'POST',
      headers: { authorization: 'Bearer secret-jwt', 'content-type': 'application/json' },
      body,
    });
    await r.body.text();
    return r.statusCode;
  };
  fake.setMode('ok');
  assert.equal(await post('/send/9007199254740993', '{"id":9007199254740993,"phone":79001234567,"text":"x"}'), 200);
  assert.equal(await post('/send/9007199254740993', '{"id":9007199254740992,"phone":79001234567,"text":"x"}'), 400);
  assert.equal(await post('/send/5', '{"id":5,"phone":"+79001234567","text":"x"}'), 400);
  assert.equal(await post('/send/5', 'id=5'), 400);
});
