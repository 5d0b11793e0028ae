/**
 * Provider benchmarks (issue 3), printed as a markdown section for bench/run.ts (EXTRAS):
 *
 * 1. SMTP delivery rate: BENCH_SMTP e-mails (default 2000) accepted through POST /v1/messages/batch
 *    and delivered by Herald's `smtp` provider (nodemailer pool) to the local SMTP fake, against a
 *    baseline measured in the same run: the same number sent straight through a nodemailer pool of
 *    the same size to the same server.
 * 2. sms-batch efficiency at 1,000 messages/s (bench/sms-batch.bench.ts): messages per provider
 *    call and the latency batching adds.
 *
 *   node bench/providers.bench.ts
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import pino from 'pino';
import { stringify } from 'yaml';
import { loadConfig } from '../src/config/config.ts';
import { createRuntime } from '../src/runtime.ts';
import { startSmtpFake, type SmtpFake } from '../test/fakes/smtp.fake.ts';
import { runSmsBatchBench } from './sms-batch.bench.ts';

const N = Number(process.env.BENCH_SMTP ?? 2000);
const POOL = 8;
const KEY = 'hk_bench_key_0123456789abcdef';

async function heraldSmtp(fake: SmtpFake): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
  const cfgFile = join(dir, 'herald.yaml');
  const provider = { name: 'mail', channel: 'email', type: 'smtp', url: fake.url, poolSize: POOL, concurrency: POOL };
  writeFileSync(cfgFile, stringify({ providers: [provider] }));
  const config = loadConfig({
    DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`,
    HERALD_API_KEY: KEY,
    HERALD_CONFIG: cfgFile,
    HERALD_POLL_MS: '20',
    LOG_LEVEL: 'silent',
  });
  const rt = await createRuntime(config, { roles: ['api', 'worker'], logger: pino({ level: 'silent' }) });
  try {
    const before = fake.mails.length;
    const t0 = performance.now();
    for (let i = 0; i < N; i += 1000) {
      const messages = Array.from({ length: Math.min(1000, N - i) }, (_, k) => ({
        channel: 'email',
        to: `user${i + k}@example.com`,
        from: 'shop@example.com',
        subject: 'Your order',
        text: 'Thank you for your order.',
      }));
      const r = await rt.app!.inject({
        method: 'POST',
        url: '/v1/messages/batch',
        headers: { authorization: `Bearer ${KEY}` },
        payload: { messages },
      });
      if (r.statusCode !== 202) throw new Error(`batch ingest answered ${r.statusCode}: ${r.body}`);
    }
    rt.worker!.start();
    await fake.waitFor(before + N, 120_000);
    return N / ((performance.now() - t0) / 1000);
  } finally {
    await rt.stop();
  }
}

async function nodemailerBaseline(fake: SmtpFake): Promise<number> {
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: POOL,
    maxMessages: 100,
    host: '127.0.0.1',
    port: fake.port,
    secure: false,
    ignoreTLS: true,
  });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: N }, (_, i) =>
      transport.sendMail({
        from: 'shop@example.com',
        to: `base${i}@example.com`,
        subject: 'Your order',
        text: 'Thank you for your order.',
      }),
    ),
  );
  const rate = N / ((performance.now() - t0) / 1000);
  transport.close();
  return rate;
}

const fake = await startSmtpFake();
const baseline = await nodemailerBaseline(fake);
const herald = await heraldSmtp(fake);
await fake.close();
const sms = await runSmsBatchBench({ rate: 1000, seconds: 5, batchSize: 100, lingerMs: 200 });
const r0 = (x: number) => Math.round(x);

process.stdout.write(
  [
    '## Providers (issue 3)',
    '',
    '| what | Herald | baseline (same run) | ratio |',
    '| --- | --- | --- | --- |',
    `| SMTP delivery to the local SMTP server, ${N} e-mails, pool of ${POOL} (accept → all received) | ${r0(herald)} msg/s | ${r0(baseline)} msg/s (nodemailer pool, direct) | ${(herald / baseline).toFixed(2)} |`,
    '',
    `sms-batch at ${sms.rate} messages/s offered for ${sms.seconds} s (reached ${sms.offeredRate}/s through the API),`,
    `batchSize ${sms.batchSize}, lingerMs ${sms.lingerMs}: Herald and the load share one process.`,
    '',
    '| messages | provider calls | fewest possible | messages per call | added latency p50 / p95 / max (202 → provider) |',
    '| --- | --- | --- | --- | --- |',
    `| ${sms.messages} | ${sms.calls} | ${sms.idealCalls} | ${sms.messagesPerCall} | ${sms.addedLatencyMs.p50} / ${sms.addedLatencyMs.p95} / ${sms.addedLatencyMs.max} ms |`,
    '',
  ].join('\n'),
);
