/**
 * Campaign fan-out (issue 5): one campaign to N contacts, on SQLite and PostgreSQL. Measures the
 * time from the campaign's start to every message queued, and the peak RSS of the process doing
 * the fan-out (a child process of its own, so loading the contacts does not count).
 * Goal: 1,000,000 contacts in under 30 s and 300 MB on SQLite.
 *
 *   node bench/campaign-fanout.ts                    (N = BENCH_CAMPAIGN_CONTACTS, default 1,000,000)
 *   BENCH_CAMPAIGN_CONTACTS=100000 node bench/campaign-fanout.ts
 *   BENCH_CAMPAIGN_BACKENDS=sqlite node bench/campaign-fanout.ts
 *   BENCH_PAGE=5000 BENCH_SQLITE_CACHE_MB=64 …      (experiments: fan-out page size, SQLite page cache)
 *   BENCH_FANOUT_NODE_FLAGS='' …                     (Node flags of the fan-out process; default Herald's own)
 *   BENCH_DEBUG=1 …                                  (progress and memory on stderr)
 *
 * Prints a markdown table, or with `--json` one `BENCH_RESULT [...]` line (bench/run.ts's fan-out section).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pino from 'pino';
import { loadConfig } from '../src/config/config.ts';
import { systemClock } from '../src/domain/clock.ts';
import { CampaignScheduler } from '../src/campaigns/scheduler.ts';
import { CampaignService } from '../src/campaigns/service.ts';
import type { NewContact } from '../src/campaigns/model.ts';
import { openStore, databaseForTests } from '../src/store/open-store.ts';
import { HERALD_NODE_FLAGS } from '../src/node-flags.ts';
import { PG_URL, dropSchema } from './lib/pg.ts';

const N = Number(process.env.BENCH_CAMPAIGN_CONTACTS ?? 1_000_000);
const BACKENDS = (process.env.BENCH_CAMPAIGN_BACKENDS ?? 'sqlite,postgres').split(',');
const ZONES = ['Europe/Moscow', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'UTC'];

interface Where {
  url: string;
  schema?: string;
}

/** Loads N contacts: big multi-row inserts, 20,000 rows per transaction. */
async function load(where: Where): Promise<number> {
  const store = await openStore({ ...where });
  await store.migrate();
  const t = performance.now();
  const BATCH = 20_000;
  for (let i = 0; i < N; i += BATCH) {
    const batch: NewContact[] = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) {
      const phone = `79${String(j).padStart(9, '0')}`;
      batch.push({
        phone,
        email: null,
        operatorCode: phone.slice(1, 4),
        tag: j % 2 ? 'odd' : 'even',
        timezone: ZONES[j % ZONES.length]!,
        attributes: { name: `C${j}` },
      });
    }
    await store.contacts.insertMany(batch, Date.now());
  }
  const ms = performance.now() - t;
  await store.close();
  return ms;
}

/** In the child: starts a campaign to every contact and runs the scheduler until fan-out is done. */
async function fanout(where: Where): Promise<void> {
  const store = await openStore({ ...where });
  // An experiment knob: SQLite's page cache (default 2 MB) for the fan-out process.
  if (process.env.BENCH_SQLITE_CACHE_MB && store.dialect === 'sqlite')
    await sql
      .raw(`PRAGMA cache_size = -${Number(process.env.BENCH_SQLITE_CACHE_MB) * 1024}`)
      .execute(databaseForTests(store));
  const clock = systemClock;
  const config = loadConfig({ DATABASE_URL: where.url, LOG_LEVEL: 'silent' });
  const service = new CampaignService({ store, clock, config });
  const scheduler = new CampaignScheduler({
    store,
    clock,
    logger: pino({ level: 'silent' }),
    maxAttempts: 3,
    budgetMs: 1000,
    pageSize: process.env.BENCH_PAGE ? Number(process.env.BENCH_PAGE) : undefined,
  });
  const t = performance.now();
  const c = await service.create({
    name: 'bench',
    channel: 'sms',
    provider: null,
    sender: null,
    subject: null,
    text: 'Hello {attributes.name}, our sale starts today',
    html: null,
    template: null,
    categories: 0,
    filter: { operatorCodes: [], tags: [] },
    startAt: Date.now() - 1000,
    endAt: Date.now() + 7 * 86_400_000,
    window: { from: '09:00', to: '21:00' },
    priority: 0,
  });
  let written = 0;
  let last = performance.now();
  for (;;) {
    const pass = await scheduler.tick();
    written += pass.written;
    if (process.env.BENCH_DEBUG && written % 100_000 < pass.written) {
      const now = performance.now();
      console.error(
        `${written} written; last stretch ${((now - last) / 1000).toFixed(1)} s; rss ${Math.round(process.memoryUsage().rss / 1e6)} MB`,
      );
      last = now;
    }
    if (!pass.more) break;
  }
  const ms = performance.now() - t;
  const after = await store.campaigns.get(c.id);
  const counts = (await store.campaigns.countByState([c.id])).get(c.id) ?? {};
  const messages = Object.values(counts).reduce((a, b) => a + b, 0);
  await scheduler.stop();
  await store.close();
  const rssMb = process.resourceUsage().maxRSS / 1024;
  if (process.env.BENCH_DEBUG) {
    console.error(process.memoryUsage());
    (globalThis as { gc?: () => void }).gc?.();
    console.error(process.memoryUsage());
  }
  process.stdout.write(JSON.stringify({ ms, messages, fannedOut: after?.fannedOut, rssMb }) + '\n');
}

function child(where: Where): Promise<{ ms: number; messages: number; rssMb: number }> {
  return new Promise((resolve, reject) => {
    const flags = fanoutFlags().split(' ').filter(Boolean);
    const p = spawn(process.execPath, [...flags, fileURLToPath(import.meta.url), '--fanout', JSON.stringify(where)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim())) : reject(new Error(`fan-out exited ${code}`)),
    );
  });
}

export interface FanoutResult {
  backend: string;
  contacts: number;
  fanoutMs: number;
  rssMb: number;
  loadMs: number;
}

/** The Node flags of the fan-out process (BENCH_FANOUT_NODE_FLAGS, default Herald's own). */
const fanoutFlags = (): string => process.env.BENCH_FANOUT_NODE_FLAGS ?? HERALD_NODE_FLAGS.join(' ');

async function main(): Promise<void> {
  const results: FanoutResult[] = [];
  for (const backend of BACKENDS) {
    const where: Where =
      backend === 'sqlite'
        ? { url: `sqlite:${join(mkdtempSync(join(tmpdir(), 'herald-fanout-')), 'bench.db')}` }
        : { url: PG_URL, schema: `bench_fanout_${randomBytes(4).toString('hex')}` };
    try {
      const loadMs = await load(where);
      const r = await child(where);
      if (r.messages !== N) throw new Error(`${backend}: ${r.messages} messages for ${N} contacts`);
      results.push({ backend, contacts: N, fanoutMs: r.ms, rssMb: r.rssMb, loadMs });
    } finally {
      if (where.schema) await dropSchema(where.schema);
    }
  }
  // `--json`: one line for bench/run.ts; else a markdown table.
  if (process.argv.includes('--json')) return void process.stdout.write(`BENCH_RESULT ${JSON.stringify(results)}\n`);
  console.log(
    [
      '| store | contacts | fan-out | messages/s | peak RSS (fan-out process) | loading the contacts |',
      '| --- | --- | --- | --- | --- | --- |',
      ...results.map(
        (r) =>
          `| ${r.backend} | ${r.contacts.toLocaleString('en-US')} | ${(r.fanoutMs / 1000).toFixed(1)} s | ${Math.round(
            (r.contacts / r.fanoutMs) * 1000,
          ).toLocaleString('en-US')} | ${Math.round(r.rssMb)} MB | ${(r.loadMs / 1000).toFixed(1)} s |`,
      ),
    ].join('\n'),
  );
}

if (process.argv[2] === '--fanout') await fanout(JSON.parse(process.argv[3]!) as Where);
else await main();
