import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProviderConfig } from '../../../config/config.ts';
import { readSmtpOptions } from './smtp.options.ts';
import { classifySmtpError } from './smtp.provider.ts';

const err = (props: { message?: string } & Record<string, unknown>) =>
  Object.assign(new Error(props.message ?? 'x'), props);

test('4xx transient, 5xx permanent (recipient), 5xx at AUTH/connection the provider, no reply transient', () => {
  const t = classifySmtpError(err({ responseCode: 451, command: 'RCPT TO', code: 'EENVELOPE' }));
  assert.deepEqual([t.retry, t.blame, t.statusCode], ['transient', 'provider', 451]);
  const p = classifySmtpError(err({ responseCode: 550, command: 'RCPT TO', code: 'EENVELOPE' }));
  assert.deepEqual([p.retry, p.blame, p.statusCode], ['permanent', 'recipient', 550]);
  const auth = classifySmtpError(err({ responseCode: 535, command: 'AUTH PLAIN', code: 'EAUTH' }));
  assert.deepEqual([auth.retry, auth.blame], ['permanent', 'provider']);
  const conn = classifySmtpError(err({ code: 'ESOCKET', message: 'connect ECONNREFUSED 127.0.0.1:1' }));
  assert.deepEqual([conn.retry, conn.blame], ['transient', 'provider']);
  assert.match(conn.reason, /ESOCKET/);
  assert.equal(classifySmtpError('weird').retry, 'transient');
});

test('options: url credentials, defaults from the common fields, every problem reported', () => {
  const cfg = (options: Record<string, unknown>): ProviderConfig => ({
    name: 'mail',
    channel: 'email',
    type: 'smtp',
    concurrency: 6,
    rateLimit: null,
    timeoutMs: 1000,
    retry: { scheduleMs: [0], maxAttempts: 1 },
    options,
  });
  const o = readSmtpOptions(cfg({ url: 'smtps://u%40x:p%3A1@mail.example.com' }));
  assert.deepEqual([o.user, o.pass, o.secure, o.poolSize, o.maxMessages], ['u@x', 'p:1', true, 6, 100]);
  const problems: string[] = [];
  readSmtpOptions(cfg({ url: 'smtp://h:25', user: 'u', poolSize: 0, secure: 'maybe' }), problems);
  assert.deepEqual(problems, [
    'providers[mail].secure must be true or false',
    'providers[mail].poolSize must be an integer from 1 to 1000',
    'providers[mail].pass is required with user',
  ]);
});
