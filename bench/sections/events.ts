/**
 * Status events (issue 13): does a dead endpoint (connection refused) and a slow one (answers after
 * 5 s), both subscribed to every message event, slow down message delivery? The same drain as the
 * delivery section (`herald worker`, N preloaded webhooks to a keep-alive sink), run alternately
 * without endpoints and with the two bad endpoints (none, bad, none, bad, none); each rate and CPU
 * figure is taken over the steady part of its drain, the same way on both sides.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.ts';
import { EVENT_TYPES } from '../../src/events/model.ts';
import { cpuPerRequest, type CpuPerRequest } from '../lib/load.ts';
import { PG_URL } from '../lib/pg.ts';
import { sleep, threadCpu, wallMs, type Proc } from '../lib/proc.ts';
import type { Figure } from '../lib/results.ts';
import {
  BACKENDS,
  IN_FLIGHT,
  STORE_NAME,
  cpuNote,
  fmt,
  preloadedDatabase,
  resetSink,
  sinkStats,
  startHerald,
  startServer,
  type Backend,
  type Ctx,
} from '../lib/subjects.ts';
import type { Measured, Section } from './section.ts';

const DRAIN_DEADLINE_MS = 180_000;
const SLOW_MS = 5000;
const ISSUE_13 = 'issue 13';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on: connections are refused. */
async function deadPort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

/** Rounds of (without, with) drains; one more drain without closes the alternation: none, bad, none, bad, none. */
const ROUNDS = 2;
/** The rate and the CPU are taken between these shares of the drain: the worker's and the dispatcher's start-up and the tail are left out. */
const STEADY_FROM = 0.1;
const STEADY_TO = 0.9;
const POLL_MS = 20;
/** Drains without endpoints further apart than this: the machine moved under the section. */
const UNSTEADY = 1.5;

/**
 * Messages per drain in this section: BENCH_DELIVERIES when set (also with --quick), else 50,000
 * (--quick: 20,000). The delivery section's 20,000 drain in 2–4 s on fast hardware, too short for
 * the dispatcher and the events worker to reach their steady state.
 */
export function eventsDeliveries(ctx: Ctx): number {
  const env = Number(process.env.BENCH_DELIVERIES);
  return env > 0 ? env : ctx.quick ? 20_000 : 50_000;
}

interface Drain {
  /** Deliveries per second between STEADY_FROM and STEADY_TO of the drain. */
  rate: number;
  /** Deliveries per second over the whole drain (first to last). */
  wholeRate: number;
  /** CPU per delivery in the steady window: Herald's threads, and its PostgreSQL backends. */
  cpu?: CpuPerRequest;
  backendUs?: number;
  note: string;
}

/*
 * Follows a drain at the sink (polled every POLL_MS) and takes the worker's CPU (/proc, per thread)
 * and its PostgreSQL backends' CPU when the count passes STEADY_FROM and STEADY_TO of `n`: the rate
 * and the CPU per delivery of the steady part, the same way for the runs with and without endpoints.
 */
async function follow(
  worker: Proc,
  sink: string,
  n: number,
  backends: (() => Promise<Map<number, number>>) | undefined,
): Promise<Drain> {
  const pid = worker.child.pid!;
  const until = wallMs() + DRAIN_DEADLINE_MS;
  const marks: { at: number; count: number; threads: Map<string, number>; pg?: Map<number, number> }[] = [];
  const goals = [Math.ceil(n * STEADY_FROM), Math.ceil(n * STEADY_TO)];
  let polledAt = wallMs();
  let s = await sinkStats(sink);
  // A poll may pass the last mark and the end together: the loop still takes the marks due.
  while ((s.count < n || marks.length < goals.length) && wallMs() < until) {
    const goal = goals[marks.length];
    if (goal !== undefined && s.count >= goal) {
      const threads = threadCpu(pid);
      marks.push({ at: polledAt, count: s.count, threads, ...(backends ? { pg: await backends() } : {}) });
      continue;
    }
    await sleep(POLL_MS);
    polledAt = wallMs();
    s = await sinkStats(sink);
  }
  const seconds = (s.lastAt - s.firstAt) / 1000;
  const wholeRate = seconds > 0 ? s.count / seconds : 0;
  if (s.count < n || marks.length < 2 || marks[1]!.at === marks[0]!.at)
    return {
      rate: 0,
      wholeRate,
      note: `INCOMPLETE: ${fmt(s.count)} of ${fmt(n)} within ${DRAIN_DEADLINE_MS / 1000} s`,
    };
  const [a, b] = marks as [(typeof marks)[number], (typeof marks)[number]];
  const count = b.count - a.count;
  const rate = count / ((b.at - a.at) / 1000);
  const cpu = cpuPerRequest(a.threads, b.threads, count);
  let backendUs: number | undefined;
  if (a.pg && b.pg && b.pg.size > 0) {
    let us = 0;
    for (const [p, t] of b.pg) us += t - (a.pg.get(p) ?? 0);
    backendUs = us / count;
  }
  const pgNote = backendUs !== undefined ? `, PostgreSQL backends ${Math.round(backendUs)} µs/delivery` : '';
  return {
    rate,
    wholeRate,
    cpu,
    ...(backendUs !== undefined ? { backendUs } : {}),
    note: `${fmt(rate)}/s from ${STEADY_FROM * 100} % to ${STEADY_TO * 100} % of the drain (${fmt(wholeRate)}/s over all ${fmt(s.count)} in ${seconds.toFixed(2)} s); ${cpuNote(cpu, 'delivery')}${pgNote}`,
  };
}

async function drain(ctx: Ctx, backend: Backend, sink: string, endpoints: string[], n: number): Promise<Drain> {
  const db = await preloadedDatabase(ctx, backend, sink, n);
  try {
    await subscribe(db.url, endpoints);
    await resetSink(sink);
    const worker = await startHerald('worker', db.url);
    try {
      const pid = worker.proc.child.pid;
      return await follow(worker.proc, sink, n, backend === 'postgres' && pid ? () => backendCpu(pid) : undefined);
    } finally {
      await worker.proc.stop();
    }
  } finally {
    await db.drop();
  }
}

/** The local TCP ports of the process's sockets (its connections to PostgreSQL among them). */
function localPorts(pid: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && inodes.has(f[9]!)) ports.add(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

/** CPU (µs, user + system) of each PostgreSQL backend serving the process `pid`, by backend pid. */
async function backendCpu(pid: number): Promise<Map<number, number>> {
  const ports = [...localPorts(pid)];
  const out = new Map<number, number>();
  if (ports.length === 0) return out;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[])', [
      ports,
    ]);
    for (const { pid: b } of r.rows) {
      const us = threadCpu(b).get('event loop');
      if (us !== undefined) out.set(b, us);
    }
  } finally {
    await c.end();
  }
  return out;
}

/** The section's two bad endpoints: one whose port refuses connections, one that answers after SLOW_MS. */
export async function badEndpoints(): Promise<{ urls: string[]; close(): Promise<void> }> {
  const slow = createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => res.writeHead(200).end('ok'), SLOW_MS).unref());
  });
  const slowUrl = `http://127.0.0.1:${await listen(slow)}/events`;
  const deadUrl = `http://127.0.0.1:${await deadPort()}/events`;
  return {
    urls: [deadUrl, slowUrl],
    close: async () => {
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    },
  };
}

/** Subscribes each of `urls` to every `message.*` event in the database at `dbUrl`. */
export async function subscribe(dbUrl: string, urls: readonly string[]): Promise<void> {
  if (urls.length === 0) return;
  const store = await openStore({ url: dbUrl });
  try {
    const events = EVENT_TYPES.filter((t) => t.startsWith('message.'));
    for (const url of urls) await store.endpoints.create({ url, events }, Date.now());
  } finally {
    await store.close();
  }
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);

/** "µs/delivery: 152, 160" of each drain's steady window (Herald's threads; PostgreSQL backends apart). */
function cpuOf(runs: readonly Drain[]): string {
  const us = runs.map((r) => Math.round(r.cpu?.totalUs ?? 0)).join(', ');
  const pgUs = runs.some((r) => r.backendUs !== undefined)
    ? `; PostgreSQL backends ${runs.map((r) => Math.round(r.backendUs ?? 0)).join(', ')}`
    : '';
  return `Herald CPU ${us} µs/delivery${pgUs}`;
}

async function events(ctx: Ctx): Promise<Measured> {
  const sink = await startServer('sink');
  const bad = await badEndpoints();
  const n = eventsDeliveries(ctx);
  const figures: Figure[] = [];
  const checks: Measured['checks'] = [];
  const warnings: string[] = [];
  try {
    for (const b of BACKENDS) {
      // Alternating, the same drain and the same steady window for both: none, bad, none, bad, none.
      const none: Drain[] = [await drain(ctx, b, sink.url, [], n)];
      const withBad: Drain[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        withBad.push(await drain(ctx, b, sink.url, bad.urls, n));
        none.push(await drain(ctx, b, sink.url, [], n));
      }
      const rates = none.map((r) => r.rate);
      const apart = Math.max(...rates) / Math.max(Math.min(...rates), 1e-9);
      if (apart > UNSTEADY)
        warnings.push(
          `${STORE_NAME[b]}: **unsteady machine**: the drains without endpoints ranged ${rates.map(fmt).join(', ')}/s (${apart.toFixed(1)}× apart); this ratio is not to be trusted — run it again.`,
        );
      const scenario = `webhook delivery, ${fmt(n)} preloaded, with and without bad event endpoints`;
      const command = 'herald worker (HERALD_WEBHOOK_CONCURRENCY=32)';
      const steady = `steady rate, from ${STEADY_FROM * 100} % to ${STEADY_TO * 100} % of each drain`;
      figures.push(
        {
          id: `${b}-none`,
          scenario,
          system: 'herald',
          label: `herald worker, ${STORE_NAME[b]}, no endpoints`,
          value: mean(rates),
          unit: 'deliveries/s',
          note: `mean of ${none.length} drains alternating with those with endpoints: ${rates.map(fmt).join(', ')} (${steady}); ${cpuOf(none)}`,
          command,
        },
        {
          id: `${b}-bad`,
          scenario,
          system: 'herald',
          label: `herald worker, ${STORE_NAME[b]}, a dead and a slow (5 s) endpoint on every message event`,
          value: mean(withBad.map((r) => r.rate)),
          unit: 'deliveries/s',
          note: `mean of ${withBad.length} drains: ${withBad.map((r) => fmt(r.rate)).join(', ')} (${steady}); ${cpuOf(withBad)}; the last: ${withBad[withBad.length - 1]!.note}`,
          command,
        },
      );
      checks.push({ figure: `${b}-bad`, reference: `${b}-none`, goal: { ratio: 0.9, source: ISSUE_13 } });
      for (const [what, runs] of [
        ['none', none],
        ['bad', withBad],
      ] as const)
        for (const r of runs) console.error(`  ${b} ${what}: ${r.note}`);
    }
  } finally {
    await sink.proc.stop();
    await bad.close();
  }
  return {
    ...(warnings.length ? { warning: warnings.join(' ') } : {}),
    about: [
      `The delivery section's drain (${fmt(n)} webhooks preloaded, \`herald worker\`, ${IN_FLIGHT} in flight to a keep-alive sink), ${2 * ROUNDS + 1} times per store, alternating: without event endpoints, then with two endpoints subscribed to every \`message.*\` event — one whose port refuses connections, one that answers after ${SLOW_MS / 1000} s — then without, and so on.`,
      `With the endpoints, each delivery is an event (\`message.delivered\`) for both: the dispatcher queues two event deliveries per message while the drain runs, the dead one trips its breaker, the slow one holds its 4 connections. Each rate is taken from ${STEADY_FROM * 100} % to ${STEADY_TO * 100} % of its drain (the sink polled every ${POLL_MS} ms), leaving out the worker's start-up and the tail, and so is the CPU per delivery (/proc; on PostgreSQL also the worker's backends). The figure compares the mean rate with endpoints with the mean of the runs without (goal: at least 0.9×, issue 13).`,
    ],
    figures,
    checks,
  };
}

export const EVENTS: Section = {
  name: 'events',
  title: 'Status events: a dead and a slow endpoint',
  run: events,
};
