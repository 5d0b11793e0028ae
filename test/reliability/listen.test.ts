import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { openStore } from '../../src/store/open-store.ts';
import { eventually, startHerald } from '../helpers/herald.ts';
import { startSink } from '../helpers/http-sink.ts';
import { webhookMessage } from '../helpers/messages.ts';
import { adminQuery, sessions } from '../helpers/pg-admin.ts';
import { freshUrl, PG_URL } from '../helpers/stores.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';

/**
 * LISTEN comes back after an outage of any length (issue 9, item 4). The outage is this test's
 * own: its connections go through a TCP proxy that the test cuts; the server is never touched.
 */

/** Longer than the one reconnect attempt (after 1 s) that used to be all there was. */
const OUTAGE_MS = 3000;

const pgTarget = () => {
  const u = new URL(PG_URL);
  return { host: u.hostname, port: Number(u.port || 5432) };
};

/** A session of `name` has run LISTEN to the end (committed: from now on it hears NOTIFY). */
const listening = async (name: string) =>
  (await sessions(name)).some((s) => /^LISTEN /.test(s.query) && s.state === 'idle') ? true : undefined;

test('the LISTEN session is back after a long outage, and a NOTIFY for this schema wakes it again', async (t) => {
  const proxy = await startTcpProxy(pgTarget());
  t.after(() => proxy.close());
  const { url, schema } = freshUrl('postgres');
  const store = await openStore({ url: proxy.url(url), schema });
  t.after(() => store.close());
  await store.migrate();
  let wakes = 0;
  const stop = await store.listen!(() => wakes++);
  t.after(stop);
  const name = `herald:${schema}`;
  await eventually(() => listening(name), 10_000, 'LISTEN');
  proxy.cut();
  await eventually(async () => ((await listening(name)) ? undefined : true), 10_000, 'the LISTEN session to end');
  await sleep(OUTAGE_MS);
  proxy.restore();
  await eventually(() => listening(name), 20_000, 'LISTEN again after the outage');
  await eventually(() => (wakes > 0 ? true : undefined), 5000, 'the wake-up after reconnecting');
  const before = wakes;
  // Another schema's NOTIFY is not ours; this schema's is. Delivered in this order.
  await adminQuery(`SELECT pg_notify('herald_messages', 'some_other_schema')`);
  await adminQuery(`SELECT pg_notify('herald_messages', $1)`, [schema]);
  await eventually(() => (wakes > before ? true : undefined), 5000, 'the NOTIFY to wake');
  assert.equal(wakes, before + 1);
});

test('an idle worker is woken by another process after a long outage (polling far away)', async (t) => {
  const proxy = await startTcpProxy(pgTarget());
  t.after(() => proxy.close());
  const sink = await startSink(() => ({ status: 200 }));
  t.after(() => sink.close());
  // Polling once an hour: only NOTIFY can bring work to this worker within the test.
  const h = await startHerald({
    backend: 'postgres',
    roles: ['worker'],
    env: { DATABASE_URL: proxy.url(PG_URL), HERALD_POLL_MS: '1h' },
  });
  t.after(() => h.stop());
  // "Another process": a store of its own, straight to the server.
  const other = await openStore({ url: PG_URL, schema: h.schema, applicationName: `herald:${h.schema}:other` });
  t.after(() => other.close());
  const name = `herald:${h.schema}`;
  const delivered = (path: string) => () => (sink.requests.some((r) => r.url === path) ? true : undefined);
  await eventually(() => listening(name), 10_000, 'LISTEN');
  await other.messages.insertMany([webhookMessage(`${sink.url}/before`)], Date.now());
  await eventually(delivered('/before'), 10_000, 'delivery woken by NOTIFY');
  proxy.cut();
  await sleep(OUTAGE_MS);
  proxy.restore();
  await eventually(() => listening(name), 20_000, 'LISTEN again after the outage');
  await other.messages.insertMany([webhookMessage(`${sink.url}/after`)], Date.now());
  await eventually(delivered('/after'), 10_000, 'delivery woken by NOTIFY after the outage');
});
