import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS } from '../helpers/stores.ts';
import { eventually, startHerald } from '../helpers/herald.ts';
import { startSink } from '../helpers/http-sink.ts';
import { webhookMessage } from '../helpers/messages.ts';
import { EXCERPT_LIMIT } from '../../src/domain/message.ts';

/**
 * One bad request never fails its neighbours (issue 9, item 2): requests that share a group
 * commit with a request the store refuses are written all the same.
 */

/** A body the store cannot take: nesting too deep to serialise (SQLite), a NUL in a text column (PostgreSQL). */
const DEEP = '['.repeat(20_000) + ']'.repeat(20_000);
const poisonedBody = (backend: string) =>
  backend === 'sqlite'
    ? `{"channel":"webhook","url":"http://127.0.0.1:9/deep","body":${DEEP}}`
    : JSON.stringify({ channel: 'sms', to: '+79001234567', text: 'a\u0000b' });

for (const backend of BACKENDS) {
  test(`${backend}: 20 valid requests beside a poisoned one are all accepted`, async (t) => {
    const h = await startHerald({ backend, roles: ['api'] });
    t.after(() => h.stop());
    const valid = Array.from({ length: 20 }, (_, i) =>
      h.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: h.auth,
        payload: { channel: 'sms', to: '+79001234567', text: `hello ${i}` },
      }),
    );
    const poisoned = h.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: { ...h.auth, 'content-type': 'application/json' },
      payload: poisonedBody(backend),
    });
    // The poisoned request in the middle, so that it shares a group commit with valid ones.
    const all = await Promise.all([...valid.slice(0, 10), poisoned, ...valid.slice(10)]);
    const bad = all[10];
    const good = all.filter((r) => r !== bad);
    assert.deepEqual(
      good.map((r) => r.statusCode),
      good.map(() => 202),
      good.find((r) => r.statusCode !== 202)?.body,
    );
    assert.notEqual(bad!.statusCode, 202, 'the poisoned request is not accepted');
    const counts = await h.rt.store.messages.countByState();
    assert.equal(counts.queued, 20);
  });

  // The same at the store's door, whatever the API edge lets through.
  test(`${backend}: ingest isolates a message the store refuses from its group`, async (t) => {
    const h = await startHerald({ backend, roles: ['api'] });
    t.after(() => h.stop());
    const deep: unknown[] = [];
    let cursor = deep;
    for (let i = 0; i < 20_000; i++) cursor.push((cursor = []));
    const poison =
      backend === 'sqlite'
        ? webhookMessage('http://127.0.0.1:9/deep', {
            payload: { method: 'POST', url: 'http://127.0.0.1:9/deep', body: deep },
          })
        : webhookMessage('http://127.0.0.1:9/nul', { subject: 'a\u0000b' });
    const results = await Promise.allSettled([
      ...Array.from({ length: 20 }, (_, i) => h.rt.ingest.submit([webhookMessage(`http://127.0.0.1:9/ok${i}`)])),
      h.rt.ingest.submit([poison]),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      [...Array.from({ length: 20 }, () => 'fulfilled'), 'rejected'],
    );
    assert.equal((await h.rt.store.messages.countByState()).queued, 20);
  });
}

/*
 * A provider's answer is outside text too: what the store cannot hold in it must not fail the group
 * of outcomes it lands in. `odd` is answered to the first of three webhooks, `recorded` is what its
 * attempt log must show once all three are delivered.
 */
const ODD_ANSWERS = [
  { what: 'a response with a NUL byte', odd: 'ok\u0000then', recorded: 'ok\uFFFDthen' },
  // Cut to an excerpt inside a surrogate pair, half an emoji would be left, which PostgreSQL's JSON refuses.
  {
    what: 'an answer cut at the excerpt limit inside an emoji',
    odd: 'a'.repeat(EXCERPT_LIMIT - 1) + '😀 and more',
    recorded: 'a'.repeat(EXCERPT_LIMIT - 1) + '…',
  },
];

for (const backend of BACKENDS) {
  for (const { what, odd, recorded } of ODD_ANSWERS) {
    test(`${backend}: ${what} is recorded, and its neighbours' outcomes with it`, async (t) => {
      const sink = await startSink((r) => ({ status: 200, body: r.url === '/odd' ? odd : 'ok' }));
      t.after(() => sink.close());
      const h = await startHerald({ backend });
      t.after(() => h.stop());
      const ids = await Promise.all(
        ['/odd', '/a', '/b'].map(async (path) => {
          const r = await h.inject({
            method: 'POST',
            url: '/v1/messages',
            headers: h.auth,
            payload: { channel: 'webhook', url: `${sink.url}${path}` },
          });
          assert.equal(r.statusCode, 202, r.body);
          return r.json<{ id: string }>().id;
        }),
      );
      await eventually(
        async () => ((await h.rt.store.messages.countByState()).delivered === 3 ? true : undefined),
        10_000,
        'all three delivered',
      );
      const detail = await h.rt.store.messages.detail(ids[0]!);
      assert.equal(detail?.attemptLog[0]?.response, recorded);
    });
  }
}
