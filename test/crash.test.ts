import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, databaseForTests } from '../src/store/open-store.ts';
import { webhookMessage } from './helpers/messages.ts';
import { eventually } from './helpers/herald.ts';
import { startSink } from './helpers/http-sink.ts';
import { createDatabase } from './helpers/pg-admin.ts';

/**
 * Crash safety with real processes: `herald worker` is killed with SIGKILL in the middle of a run;
 * a new worker finishes the job once the dead one's leases expire. Nothing is lost.
 */
const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');

function worker(databaseUrl: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [MAIN, 'worker'], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
      HERALD_LEASE_MS: '1500',
      HERALD_POLL_MS: '20',
      HERALD_WEBHOOK_CONCURRENCY: '8',
      // A worker serves /metrics: on any free port, so that two workers can run side by side.
      PORT: '0',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function seed(url: string, target: string, n: number): Promise<string[]> {
  const store = await openStore({ url });
  await store.migrate();
  const results = await store.messages.insertMany(
    Array.from({ length: n }, (_, i) => webhookMessage(`${target}/m${i}`, { maxAttempts: 8 })),
    Date.now(),
  );
  await store.close();
  return results.map((r) => r.id);
}

async function states(url: string): Promise<Record<string, number>> {
  const store = await openStore({ url });
  try {
    return await store.messages.countByState();
  } finally {
    await store.close();
  }
}

const N = 1200;

for (const backend of ['sqlite', 'postgres'] as const) {
  describe(`crash recovery: ${backend}`, () => {
    test(`SIGKILL in the middle of ${N} deliveries loses nothing`, { timeout: 90_000 }, async () => {
      const sink = await startSink(() => ({ status: 200, delayMs: 2 }));
      const url =
        backend === 'sqlite'
          ? `sqlite:${join(mkdtempSync(join(tmpdir(), 'herald-crash-')), 'h.db')}`
          : await createDatabase('herald_crash');
      const ids = await seed(url, sink.url, N);
      const first = worker(url);
      after(() => sink.close());
      await eventually(
        () => (sink.requests.length >= N / 4 ? true : undefined),
        30_000,
        'first worker to make progress',
      );
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const atKill = sink.requests.length;
      assert.ok(atKill < N, 'the kill happened mid-run');
      const second = worker(url);
      try {
        await eventually(
          async () => ((await states(url)).delivered === N ? true : undefined),
          60_000,
          'all messages delivered',
        );
      } finally {
        second.kill('SIGTERM');
        await new Promise((r) => second.once('exit', r));
      }
      const seen = new Set(sink.requests.map((r) => r.headers['idempotency-key']));
      for (const id of ids) assert.ok(seen.has(id), `message ${id} reached the endpoint`);
      // At-least-once: only what was in flight at the kill may be sent twice.
      // At-least-once: what the dead worker sent but had not yet recorded is sent again, nothing more.
      assert.ok(sink.requests.length - N <= atKill, `duplicates bounded (${sink.requests.length - N})`);
    });
  });
}

describe('competing workers on PostgreSQL', () => {
  test('two worker processes never deliver the same message twice', { timeout: 90_000 }, async () => {
    const sink = await startSink(() => ({ status: 200, delayMs: 1 }));
    const url = await createDatabase('herald_crash');
    const workers: ChildProcess[] = [];
    try {
      await seed(url, sink.url, 1000);
      // A lease far longer than the run: any duplicate would be a claim bug, not a lease expiry.
      workers.push(worker(url, { HERALD_LEASE_MS: '60000' }), worker(url, { HERALD_LEASE_MS: '60000' }));
      await eventually(
        async () => ((await states(url)).delivered === 1000 ? true : undefined),
        60_000,
        'all delivered',
      );
      const store = await openStore({ url });
      const attempts = await databaseForTests(store)
        .selectFrom('attempts')
        .select(['message_id', 'outcome', 'error'])
        .execute();
      await store.close();
      const ok = attempts.filter((a) => a.outcome === 'ok');
      assert.equal(ok.length, 1000, 'one successful attempt per message');
      assert.equal(new Set(ok.map((a) => a.message_id)).size, 1000);
      // Every request the endpoint saw is an attempt Herald recorded: no hidden second sender.
      const failed = attempts.filter((a) => a.outcome !== 'ok');
      assert.equal(
        sink.requests.length,
        1000 + failed.length,
        `failed attempts: ${JSON.stringify(failed.slice(0, 3))}`,
      );
    } finally {
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => new Promise((r) => w.once('exit', r))));
      await sink.close();
    }
  });
});

describe('wake-up across processes on PostgreSQL', () => {
  test(
    'a message committed by another process wakes an idle worker (LISTEN/NOTIFY), not the poll',
    { timeout: 60_000 },
    async () => {
      const sink = await startSink();
      const url = await createDatabase('herald_crash');
      await seed(url, sink.url, 1);
      const w = worker(url, { HERALD_POLL_MS: '600000' });
      try {
        await eventually(() => (sink.requests.length === 1 ? true : undefined), 20_000, 'the first message');
        const started = Date.now();
        await seed(url, sink.url, 1);
        await eventually(
          () => (sink.requests.length === 2 ? true : undefined),
          5_000,
          'the second message, woken by NOTIFY',
        );
        assert.ok(Date.now() - started < 5_000);
      } finally {
        w.kill('SIGTERM');
        await new Promise((r) => w.once('exit', r));
        await sink.close();
      }
    },
  );
});
