/**
 * sms-batch efficiency (issue 3): Herald with one sms-batch provider (batchSize, lingerMs) takes
 * SMS at a steady rate through POST /v1/messages (in process, app.inject) and delivers them to the
 * sms-batch fake on 127.0.0.1. Reports messages per provider call (the saving: one call costs as
 * much as one message) and the latency batching adds: from the API's 202 to the batch call
 * reaching the provider.
 *
 *   node bench/sms-batch.bench.ts [rate=1000] [seconds=5] [batchSize=100] [lingerMs=200]
 *
 * `runSmsBatchBench()` answers the same figures for bench/run.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config/config.ts';
import { createRuntime } from '../src/runtime.ts';
import { startSmsBatchFake } from '../test/fakes/sms-batch.fake.ts';

export interface SmsBatchBenchOptions {
  rate: number;
  seconds: number;
  batchSize: number;
  lingerMs: number;
}

export interface SmsBatchBenchResult extends SmsBatchBenchOptions {
  messages: number;
  calls: number;
  /** ceil(messages / batchSize): the fewest calls possible. */
  idealCalls: number;
  messagesPerCall: number;
  /** Accepted messages per second actually offered. */
  offeredRate: number;
  /** From 202 to the provider receiving the batch, ms. */
  addedLatencyMs: { p50: number; p95: number; p99: number; max: number };
  /** From the first 202 to the last message reaching the provider, ms. */
  totalMs: number;
}

const KEY = 'hk_bench_key_0123456789abcdef';

export async function runSmsBatchBench(o: Partial<SmsBatchBenchOptions> = {}): Promise<SmsBatchBenchResult> {
  const opts: SmsBatchBenchOptions = { rate: 1000, seconds: 5, batchSize: 100, lingerMs: 200, ...o };
  const fake = await startSmsBatchFake({ token: 'bench' });
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
  const cfgFile = join(dir, 'herald.yaml');
  writeFileSync(
    cfgFile,
    stringify({
      providers: [
        {
          name: 'bulk',
          channel: 'sms',
          type: 'sms-batch',
          baseUrl: fake.url,
          token: 'bench',
          batchSize: opts.batchSize,
          lingerMs: opts.lingerMs,
          webhookSecret: 'bench-secret',
        },
      ],
    }),
  );
  const config = loadConfig({
    DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`,
    HERALD_API_KEY: KEY,
    HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
    HERALD_CONFIG: cfgFile,
    HERALD_POLL_MS: '20',
    LOG_LEVEL: 'silent',
  });
  const rt = await createRuntime(config, { roles: ['api', 'worker'], logger: pino({ level: 'silent' }) });
  rt.worker!.start();
  const app = rt.app!;
  const acceptedAt = new Map<string, number>();
  try {
    const total = opts.rate * opts.seconds;
    const tickMs = 10;
    const perTick = Math.max(1, Math.round((opts.rate * tickMs) / 1000));
    const t0 = performance.now();
    const inflight: Promise<void>[] = [];
    for (let sent = 0, tick = 0; sent < total; tick++) {
      // Paced by the wall clock, so a slow tick does not lower the offered rate.
      const wait = t0 + tick * tickMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      for (let k = 0; k < perTick && sent < total; k++, sent++) {
        const to = `+7900${String(1_000_001 + sent)}`;
        inflight.push(
          app
            .inject({
              method: 'POST',
              url: '/v1/messages',
              headers: { authorization: `Bearer ${KEY}` },
              payload: { channel: 'sms', to, text: 'Your code is 1234' },
            })
            .then((r) => void acceptedAt.set(r.json<{ id: string }>().id, Date.now())),
        );
      }
    }
    await Promise.all(inflight);
    const offeredMs = performance.now() - t0;
    const deadline = Date.now() + 60_000;
    while (fake.messages.size < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const arrival = new Map<string, number>();
    for (const req of fake.requests) {
      if (req.path !== '/batches') continue;
      for (const m of (JSON.parse(req.body) as { messages: { id: string }[] }).messages)
        if (!arrival.has(m.id)) arrival.set(m.id, req.at);
    }
    const lat = [...acceptedAt].map(([id, at]) => (arrival.get(id) ?? Infinity) - at).sort((a, b) => a - b);
    const q = (p: number) => Math.max(0, lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN);
    const calls = fake.batches.length;
    return {
      ...opts,
      messages: fake.messages.size,
      calls,
      idealCalls: Math.ceil(total / opts.batchSize),
      messagesPerCall: Math.round((fake.messages.size / calls) * 10) / 10,
      offeredRate: Math.round(total / (offeredMs / 1000)),
      addedLatencyMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: q(1) },
      totalMs: Math.max(...arrival.values()) - Math.min(...acceptedAt.values()),
    };
  } finally {
    await rt.stop();
    await fake.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [rate, seconds, batchSize, lingerMs] = process.argv.slice(2).map(Number);
  const r = await runSmsBatchBench({
    ...(rate ? { rate } : {}),
    ...(seconds ? { seconds } : {}),
    ...(batchSize ? { batchSize } : {}),
    ...(lingerMs !== undefined && !Number.isNaN(lingerMs) ? { lingerMs } : {}),
  });
  process.stdout.write(JSON.stringify(r, null, 2) + '\n');
}
