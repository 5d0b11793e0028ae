import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeMessage, composePostbacks, type ComposeContext, type Problem } from './compose.ts';
import type { NewMessage } from './message.ts';

const ctx: ComposeContext = {
  now: 1_700_000_000_000,
  maxAttemptsFor: () => 5,
  postbackDefaultValue: '',
  providerChannel: () => undefined,
  smsMaxSegments: 10,
};

const webhook = (url: string) => composeMessage({ channel: 'webhook', url, body: { a: 1 } }, ctx);

test('a webhook URL seen before keeps its lane (the origin), whatever was composed in between', () => {
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 1500; i++) {
      const m = webhook(`https://h${i % 7}.example:8443/hook/${i}?q=${round}`) as NewMessage;
      assert.equal(m.lane, `webhook:https://h${i % 7}.example:8443`);
      assert.equal(m.recipient, `https://h${i % 7}.example:8443/hook/${i}?q=${round}`);
    }
    assert.equal((webhook('HTTP://Example.COM:80/x') as NewMessage).lane, 'webhook:http://example.com');
  }
});

test('a refused webhook URL is refused every time, in messages and in postbacks', () => {
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(webhook('https://user:pw@example.com/x'), [
      { path: '/url', message: 'must not carry credentials; use headers' },
    ]);
    assert.deepEqual(webhook('ftp://example.com/x'), [{ path: '/url', message: 'must be an http or https URL' }]);
    assert.deepEqual(webhook('not a url'), [{ path: '/url', message: 'is not a valid URL: not a url' }]);
    const r = composePostbacks({ method: 'GET', url: 'https://u:p@example.com/{x}' }, [{ x: 1 }], ctx) as Problem[];
    assert.deepEqual(r, [{ path: '/data/0', message: 'endpoint.url must not carry credentials; use headers' }]);
  }
  const ok = composePostbacks({ method: 'GET', url: 'https://example.com/{x}' }, [{ x: 1 }, { x: 2 }], ctx);
  assert.deepEqual(
    (ok as NewMessage[]).map((m) => [m.recipient, m.lane]),
    [
      ['https://example.com/1', 'webhook:https://example.com'],
      ['https://example.com/2', 'webhook:https://example.com'],
    ],
  );
});
