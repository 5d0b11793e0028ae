/**
 * `npm run bench`: Herald's benchmarks, each against a baseline measured in the same run, on
 * SQLite and PostgreSQL. Writes docs/benchmarks.md. Traffic goes to 127.0.0.1 only; every run is
 * bounded in time (BENCH_DURATION seconds per load test, default 8) and count.
 *
 *   BENCH_DURATION=8 BENCH_DELIVERIES=20000 npm run bench
 *   npm run bench -- --only core        (or: extras)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { openStore } from '../src/store/open-store.ts';
import { HERALD_NODE_FLAGS } from '../src/node-flags.ts';
import type { NewMessage } from '../src/domain/message.ts';

const ROOT = join(import.meta.dirname, '..');
const MAIN = join(ROOT, 'src', 'main.ts');
const SERVERS = join(ROOT, 'bench', 'servers.ts');
const DURATION = Number(process.env.BENCH_DURATION ?? 8);
const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 20_000);
const CONCURRENCY = 32;
const PG_URL = process.env.HERALD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEY = 'hk_bench_key_0123456789abcdef';
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;

interface Proc {
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a process; resolves once `ready` answers true (polled), or once its stdout matches. */
function start(args: string[], env: Record<string, string>, ready: RegExp | (() => Promise<boolean>)): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args[0] === MAIN ? [...HERALD_NODE_FLAGS, ...args] : args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', ready instanceof RegExp ? 'pipe' : 'ignore', 'inherit'],
    });
    const proc: Proc = {
      child,
      stop: () =>
        new Promise<void>((r) => {
          if (child.exitCode !== null) return r();
          child.once('exit', () => r());
          child.kill('SIGTERM');
        }),
    };
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start`)), 30_000);
    const done = () => {
      clearTimeout(timer);
      resolve(proc);
    };
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited ${code}`)));
    if (ready instanceof RegExp) {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        if (ready.test(out)) done();
      });
    } else {
      const poll = async () => ((await ready().catch(() => false)) ? done() : setTimeout(() => void poll(), 50));
      void poll();
    }
  });
}

const healthy = (p: number) => async () => (await fetch(`http://127.0.0.1:${p}/healthz`)).ok;

const port = () => 20000 + Math.floor(Math.random() * 20000);

async function load(
  url: string,
  body: string,
  connections: number,
): Promise<{ rps: number; p50: number; p99: number; bad: number }> {
  const r = await autocannon({
    url,
    method: 'POST',
    connections,
    duration: DURATION,
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body,
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, bad: r.non2xx + r.errors + r.timeouts };
}

async function freshDb(backend: 'sqlite' | 'postgres'): Promise<string> {
  if (backend === 'sqlite') return `sqlite:${join(mkdtempSync(join(tmpdir(), 'herald-bench-')), 'bench.db')}`;
  const name = `herald_bench_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  return PG_URL.replace(/\/[^/]*$/, `/${name}`);
}

const heraldEnv = (db: string, p: number): Record<string, string> => ({
  DATABASE_URL: db,
  HERALD_API_KEY: KEY,
  PORT: String(p),
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
});

const webhookBody = (i = 0) => ({
  channel: 'webhook',
  url: `http://127.0.0.1:9/hook/${i}`,
  body: { order: i, status: 'paid' },
});

async function ingestBench(backend: 'sqlite' | 'postgres', rows: string[]): Promise<void> {
  const single = JSON.stringify(webhookBody());
  const batch = JSON.stringify({ messages: Array.from({ length: 1000 }, (_, i) => webhookBody(i)) });
  const bp = port();
  const base = await start([SERVERS, 'baseline', String(bp)], {}, /ready/);
  const baseline = await load(`http://127.0.0.1:${bp}/`, single, 64);
  await base.stop();
  const hp = port();
  const herald = await start([MAIN, 'api'], heraldEnv(await freshDb(backend), hp), healthy(hp));
  const ingest = await load(`http://127.0.0.1:${hp}/v1/messages`, single, 64);
  const batched = await load(`http://127.0.0.1:${hp}/v1/messages/batch`, batch, 4);
  await herald.stop();
  const ratio = ingest.rps / baseline.rps;
  rows.push(
    `| ${backend} | durable single-message ingest (c=64) | ${fmt(ingest.rps)} req/s (p50 ${ingest.p50} ms, p99 ${ingest.p99} ms) | bare node:http 202: ${fmt(baseline.rps)} req/s | **${ratio.toFixed(2)}** (goal ≥ 0.7) ${ratio >= 0.7 ? '✅' : '❌'} |`,
    `| ${backend} | batch ingest, 1000 per request (c=4) | ${fmt(batched.rps * 1000)} messages/s (p50 ${batched.p50} ms) | — | goal ≥ 200,000 messages/s ${batched.rps * 1000 >= 200_000 ? '✅' : '❌'} |`,
  );
  if (ingest.bad || batched.bad)
    rows.push(`| ${backend} | (non-2xx or errors during ingest: ${ingest.bad + batched.bad}) | | | |`);
}

async function count(url: string): Promise<number> {
  return Number(await (await fetch(`${url}/__count`)).text());
}

async function deliveryBench(
  backend: 'sqlite' | 'postgres',
  baselineMs: number,
  sinkUrl: string,
  rows: string[],
): Promise<void> {
  const db = await freshDb(backend);
  const store = await openStore({ url: db });
  await store.migrate();
  const origin = new URL(sinkUrl).origin;
  const msgs: NewMessage[] = Array.from({ length: DELIVERIES }, (_, i) => ({
    channel: 'webhook',
    recipient: `${sinkUrl}/m${i}`,
    payload: { method: 'POST', url: `${sinkUrl}/m${i}`, body: { hello: 'world' } },
    priority: 0,
    categories: 0,
    lane: `webhook:${origin}`,
    dueAt: 0,
    maxAttempts: 3,
  }));
  for (let i = 0; i < msgs.length; i += 5000) await store.messages.insertMany(msgs.slice(i, i + 5000), Date.now());
  await store.close();
  const before = await count(sinkUrl);
  const worker = await start(
    [MAIN, 'worker'],
    { ...heraldEnv(db, 0), HERALD_WEBHOOK_CONCURRENCY: String(CONCURRENCY) },
    async () => true,
  );
  const deadline = Date.now() + 120_000;
  // The clock starts at the first delivery: process start-up is not part of the rate.
  while ((await count(sinkUrl)) === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  while ((await count(sinkUrl)) - before < DELIVERIES && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  const ms = performance.now() - t0;
  await worker.stop();
  const rate = (DELIVERIES / ms) * 1000;
  const baseRate = (DELIVERIES / baselineMs) * 1000;
  const ratio = rate / baseRate;
  rows.push(
    `| ${backend} | webhook delivery to a keep-alive sink (${DELIVERIES} messages, concurrency ${CONCURRENCY}) | ${fmt(rate)} deliveries/s | bare undici loop: ${fmt(baseRate)} req/s | **${ratio.toFixed(2)}** (goal ≥ 0.6) ${ratio >= 0.6 ? '✅' : '❌'} |`,
  );
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function core(): Promise<string> {
  const rows: string[] = [];
  for (const backend of ['sqlite', 'postgres'] as const) await ingestBench(backend, rows);
  const sp = port();
  const sink = await start([SERVERS, 'sink', String(sp)], {}, /ready/);
  const sinkUrl = `http://127.0.0.1:${sp}`;
  const baselineMs = await new Promise<number>((resolve, reject) => {
    const loop = spawn(process.execPath, [SERVERS, 'undici', sinkUrl, String(DELIVERIES), String(CONCURRENCY)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    loop.stdout.on('data', (c: Buffer) => (out += c.toString()));
    loop.once('exit', (code) =>
      code === 0 ? resolve(Number(out.trim())) : reject(new Error(`undici loop exited ${code}`)),
    );
  });
  for (const backend of ['sqlite', 'postgres'] as const) await deliveryBench(backend, baselineMs, sinkUrl, rows);
  await sink.stop();
  return [
    '## Core pipeline (issue 2)',
    '',
    '| store | what | Herald | baseline (same run) | ratio / goal |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** Other benchmarks live in their own files and print a markdown section on stdout. */
const EXTRAS = ['providers.bench.ts', 'campaign-fanout.ts'];

async function extras(): Promise<string[]> {
  const out: string[] = [];
  for (const file of EXTRAS) {
    const path = join(ROOT, 'bench', file);
    if (!existsSync(path)) continue;
    const text = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [path], { stdio: ['ignore', 'pipe', 'inherit'] });
      let s = '';
      child.stdout.on('data', (c: Buffer) => (s += c.toString()));
      child.once('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`${file} exited ${code}`))));
    });
    out.push(text.trim());
  }
  return out;
}

const sections: string[] = [];
if (!only || only === 'core') sections.push(await core());
if (!only || only === 'extras') sections.push(...(await extras()));
const header = [
  '# Benchmarks',
  '',
  `Written by \`npm run bench${process.argv.slice(2).length ? ' -- ' + process.argv.slice(2).join(' ') : ''}\` on ${new Date().toISOString().slice(0, 10)}`,
  `(${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}, BENCH_DURATION=${DURATION}s per load test).`,
  'Every ratio compares Herald with a baseline measured in the same run, on the same machine, because',
  'the machines are shared and noisy: read the ratios, not the absolute figures. The load generator',
  '(autocannon) and the server under test run in separate processes on 2 cores.',
  '',
].join('\n');
const path = join(ROOT, 'docs', 'benchmarks.md');
const previous = existsSync(path) ? readFileSync(path, 'utf8') : '';
writeFileSync(path, `${header}\n${sections.join('\n\n')}\n`);
console.log(sections.join('\n\n'));
if (previous && !process.env.CI) console.log('\n(docs/benchmarks.md rewritten)');
