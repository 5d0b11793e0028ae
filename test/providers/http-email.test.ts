import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { httpEmailType } from '../../src/providers/email/http/http.provider.ts';
import { startSink } from '../helpers/http-sink.ts';
import { closedPort } from './config-file.ts';
import { createProvider, failure, message, never, providerConfig, success } from './build.ts';

const sinks: { close(): Promise<void> }[] = [];
after(async () => {
  for (const s of sinks) await s.close();
});

const mail = () => message('email', 'ann@example.com', { sender: 'shop@example.com', html: '<p>x</p>' });

test('POSTs the seed 000 JSON with basic auth and an idempotency key; 2xx is sent', async () => {
  const sink = await startSink(() => ({ status: 201, body: '{"ok":true}' }));
  sinks.push(sink);
  const p = createProvider(
    httpEmailType,
    providerConfig('http', 'email', { url: `${sink.url}/v1/mail`, user: 'u', pass: 'p' }),
  );
  const m = mail();
  const [r] = await p.send([m], never());
  assert.equal(success(r).state, 'sent');
  assert.equal(success(r).statusCode, 201);
  const req = sink.requests[0]!;
  assert.equal(req.url, '/v1/mail');
  assert.equal(req.headers.authorization, `Basic ${Buffer.from('u:p').toString('base64')}`);
  assert.equal(req.headers['idempotency-key'], m.id);
  assert.deepEqual(JSON.parse(req.body), {
    id: m.id,
    sender: 'shop@example.com',
    recipient: 'ann@example.com',
    subject: 'Hello',
    html: '<p>x</p>',
    text: 'Your code is 1234',
  });
  await p.close?.();
});

test('408, 429 and 5xx are transient (Retry-After kept); other 4xx permanent; no answer transient', async () => {
  const answers = [503, 429, 408, 400, 403];
  const sink = await startSink((_req, n) => ({
    status: answers[n - 1] ?? 500,
    headers: n === 2 ? { 'retry-after': '7' } : undefined,
  }));
  sinks.push(sink);
  const p = createProvider(httpEmailType, providerConfig('http', 'email', { url: sink.url, token: 'tk' }));
  const results = [];
  for (let i = 0; i < answers.length; i++) results.push((await p.send([mail()], never()))[0]);
  assert.deepEqual(
    results.map((r) => [failure(r).retry, failure(r).blame, failure(r).statusCode]),
    [
      ['transient', 'provider', 503],
      ['transient', 'provider', 429],
      ['transient', 'provider', 408],
      ['permanent', 'recipient', 400],
      ['permanent', 'provider', 403],
    ],
  );
  assert.equal(failure(results[1]).retryAfterMs, 7000);
  assert.equal(sink.requests[0]!.headers.authorization, 'Bearer tk');
  const down = createProvider(
    httpEmailType,
    providerConfig('http', 'email', { url: `http://127.0.0.1:${await closedPort()}/x` }),
  );
  const [r] = await down.send([mail()], never());
  assert.deepEqual([failure(r).retry, failure(r).blame], ['transient', 'provider']);
  await p.close?.();
  await down.close?.();
});

test('options: url required, token and user exclusive, pass needs user, unknown keys reported', () => {
  const problems: string[] = [];
  httpEmailType.validate(providerConfig('http', 'email', { token: 't', user: 'u', pass: 'p', tokne: 'x' }), problems);
  assert.deepEqual(problems, [
    'providers[http-test].url is required',
    'providers[http-test].tokne is not an option of this provider type (did you mean "token"?)',
    'providers[http-test]: use token or user/pass, not both',
  ]);
});
