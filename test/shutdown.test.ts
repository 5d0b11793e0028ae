import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/store/open-store.ts';
import { eventually } from './helpers/herald.ts';
import { startSink } from './helpers/http-sink.ts';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const KEY = 'hk_shutdown_test_key_0123456';

/** `herald serve` as a real process: SIGTERM with deliveries in flight loses nothing accepted. */
test('SIGTERM finishes or hands back in-flight work; a restart delivers the rest', { timeout: 60_000 }, async () => {
  const sink = await startSink(() => ({ status: 200, delayMs: 150 }));
  const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'herald-stop-')), 'h.db')}`;
  const env = {
    ...process.env,
    DATABASE_URL: url,
    HERALD_API_KEY: KEY,
    HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
    HERALD_WEBHOOK_CONCURRENCY: '4',
    HERALD_SHUTDOWN_TIMEOUT_MS: '5000',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
  };
  const serve = spawn(process.execPath, [MAIN, 'serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    let out = '';
    serve.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const base = await eventually(() => /"address":"(http:\/\/[^"]+)"/.exec(out)?.[1], 20_000, 'herald to listen');
    const messages = Array.from({ length: 40 }, (_, i) => ({ channel: 'webhook', url: `${sink.url}/s${i}` }));
    const res = await fetch(`${base}/v1/messages/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ messages }),
    });
    assert.equal(res.status, 202);
    await eventually(() => (sink.requests.length >= 4 ? true : undefined), 10_000, 'deliveries in flight');
    serve.kill('SIGTERM');
    const code = await new Promise((r) => serve.once('exit', r));
    assert.equal(code, 0, 'a clean exit');
    assert.equal(
      existsSync(`${url.slice('sqlite:'.length)}-wal`),
      false,
      'a clean database: the WAL folded in and removed',
    );
    const store = await openStore({ url });
    const states = await store.messages.countByState();
    assert.equal(states.sending ?? 0, 0, 'nothing left leased');
    assert.equal((states.delivered ?? 0) + (states.queued ?? 0), 40, JSON.stringify(states));
    assert.ok((states.queued ?? 0) > 0, 'some work was handed back, not rushed');
    await store.close();
    // A new worker delivers what was handed back.
    const w = spawn(process.execPath, [MAIN, 'worker'], { env, stdio: 'ignore' });
    try {
      await eventually(
        async () => {
          const s = await openStore({ url });
          const n = (await s.messages.countByState()).delivered;
          await s.close();
          return n === 40 ? true : undefined;
        },
        20_000,
        'all delivered after restart',
      );
    } finally {
      w.kill('SIGTERM');
      await new Promise((r) => w.once('exit', r));
    }
  } finally {
    if (serve.exitCode === null) serve.kill('SIGKILL');
    await sink.close();
  }
});
