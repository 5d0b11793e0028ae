import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readContentConfig } from './content.ts';
import { EnvReader } from './env.ts';
import { Sources, type Env } from './sources.ts';

const listen = { host: '0.0.0.0', port: 3000 };
const read = (env: Env) => {
  const src = new Sources(env);
  return { config: readContentConfig(new EnvReader(src), listen), problems: src.problems };
};

test('defaults: 10 segments, the listening address as public URL, the sender’s domain in Message-IDs', () => {
  const { config: c, problems } = read({});
  assert.deepEqual(problems, []);
  assert.equal(c.smsMaxSegments, 10);
  assert.equal(c.publicUrl, 'http://localhost:3000');
  assert.equal(c.messageIdDomain, undefined);
  assert.equal(c.unsubscribeTtlMs, 90 * 86_400_000);
});

test('a public URL sets the Message-ID domain unless one is given; every problem is reported', () => {
  const ok = read({ HERALD_PUBLIC_URL: 'https://herald.example.org/' }).config;
  assert.equal(ok.publicUrl, 'https://herald.example.org');
  assert.equal(ok.messageIdDomain, 'herald.example.org');
  const { problems } = read({
    HERALD_SMS_MAX_SEGMENTS: '0',
    HERALD_PUBLIC_URL: 'ftp://x',
    HERALD_UNSUBSCRIBE_TTL: 'soon',
    HERALD_UNSUBSCRIBE_MAILTO: 'nope',
    HERALD_UNSUBSCRIBE_SECRET: 'short',
  });
  assert.equal(problems.length, 5, problems.join('\n'));
});
