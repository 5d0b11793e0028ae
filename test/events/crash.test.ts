import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { webhookMessage } from '../helpers/messages.ts';
import { eventually } from '../helpers/herald.ts';
import { startSink } from '../helpers/http-sink.ts';
import { createDatabase } from '../helpers/pg-admin.ts';

/**
 * The transactional outbox under SIGKILL: `herald worker` is killed while 2,000 messages change
 * state (and their events are dispatched and delivered); a second worker finishes. Every state
 * change has exactly one event queued per subscribed endpoint (none lost, none invented), and the
 * receiver gets every one of them (at least once; duplicates only with the same webhook-id).
 */
const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');
const N = 2000;

function worker(databaseUrl: string): ChildProcess {
  return spawn(process.execPath, [MAIN, 'worker'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
      HERALD_LEASE_MS: '1500',
      HERALD_POLL_MS: '20',
      HERALD_WEBHOOK_CONCURRENCY: '8',
      HERALD_EVENTS_CONCURRENCY: '8',
      PORT: '0',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function withStore<T>(url: string, fn: (s: Store) => Promise<T>): Promise<T> {
  const s = await openStore({ url });
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`status events under SIGKILL: ${backend}`, () => {
    test(`no event lost or invented across a crash during ${N} state changes`, { timeout: 300_000 }, async (t) => {
      const target = await startSink(() => ({ status: 200, delayMs: 2 }), t);
      const receiver = await startSink(() => ({ status: 204 }), t);
      const url =
        backend === 'sqlite'
          ? `sqlite:${join(mkdtempSync(join(tmpdir(), 'herald-evcrash-')), 'h.db')}`
          : await createDatabase('herald_evcrash');
      const { endpointId, ids } = await withStore(url, async (s) => {
        await s.migrate();
        const ep = await s.endpoints.create(
          { url: `${receiver.url}/events`, events: ['message.delivered'] },
          Date.now(),
        );
        const made = await s.messages.insertMany(
          Array.from({ length: N }, (_, i) => webhookMessage(`${target.url}/m${i}`, { maxAttempts: 8 })),
          Date.now(),
        );
        return { endpointId: ep.endpoint.id, ids: made.map((r) => r.id) };
      });

      const first = worker(url);
      await eventually(() => (target.requests.length >= N / 4 ? true : undefined), 120_000, 'progress');
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      assert.ok(target.requests.length < N, 'killed mid-run');
      const second = worker(url);
      try {
        let status = '';
        await eventually(
          async () => {
            await new Promise((r) => setTimeout(r, 250));
            const s = await withStore(url, (st) => st.messages.countByState());
            status = JSON.stringify(s);
            if (s.delivered !== N) return undefined;
            const page = await withStore(url, (st) => st.eventDeliveries.list(endpointId, {}, 3 * N));
            const by: Record<string, number> = {};
            for (const d of page.items) by[d.state] = (by[d.state] ?? 0) + 1;
            status = `${status} deliveries ${JSON.stringify(by)} received ${receiver.requests.length}`;
            return page.items.length === N && page.items.every((d) => d.state === 'delivered') ? true : undefined;
          },
          240_000,
          'every message and every event delivered',
        ).catch((err: unknown) => {
          throw new Error(`${String(err)}; last status ${status}`);
        });
      } finally {
        second.kill('SIGTERM');
        await new Promise((r) => second.once('exit', r));
      }

      const deliveries = (await withStore(url, (s) => s.eventDeliveries.list(endpointId, {}, 3 * N))).items;
      // Exactly one event per (message, type): nothing dispatched twice, nothing made up, nothing missing.
      const keys = new Set(deliveries.map((d) => `${d.messageId}|${d.type}`));
      assert.equal(deliveries.length, N);
      assert.equal(keys.size, N);
      for (const id of ids) assert.ok(keys.has(`${id}|message.delivered`), `delivered event of ${id}`);
      // The receiver saw every event, and only those (a repeat carries the same webhook-id).
      const eventIds = new Set(deliveries.map((d) => d.eventId));
      const received = new Map<string, string>();
      for (const r of receiver.requests) {
        const wid = String(r.headers['webhook-id']);
        assert.ok(eventIds.has(wid), `received an event Herald did not create: ${wid}`);
        const body = JSON.parse(r.body) as { type: string; data: { id: string } };
        const key = `${body.data.id}|${body.type}`;
        assert.equal(received.get(wid) ?? key, key, 'a repeated webhook-id carries the same event');
        received.set(wid, key);
      }
      assert.equal(received.size, N, 'every event reached the receiver');
    });
  });
}
