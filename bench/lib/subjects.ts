/**
 * Starting what the benchmarks measure, each in a process of its own: Herald (`herald api|worker|serve`
 * on a fresh SQLite file or PostgreSQL schema), the bare baselines (bench/servers.ts) and the peer
 * queues (bench/peers/). Everything listens on 127.0.0.1 and is stopped by the section that started it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HERALD_NODE_FLAGS } from '../../src/node-flags.ts';
import { cpuPerRequest, load, type CpuPerRequest, type LoadResult, type Tool } from './load.ts';
import { createSchema, dropSchema, urlWithSchema } from './pg.ts';
import { answers, freePort, sleep, startNode, threadCpu, wallMs, type Proc } from './proc.ts';

const ROOT = join(import.meta.dirname, '..', '..');
export const HERALD = join(ROOT, 'src', 'main.ts');
export const SERVERS = join(ROOT, 'bench', 'servers.ts');
export const PEER = {
  bullmq: join(ROOT, 'bench', 'peers', 'bullmq.ts'),
  pgboss: join(ROOT, 'bench', 'peers', 'pgboss.ts'),
};
export const KEY = 'hk_bench_key_0123456789abcdef';
/** Requests in flight to the sink, for every deliverer (Herald's webhook lane, the peers, the bare loops). */
export const IN_FLIGHT = 32;

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: readonly Backend[] = ['sqlite', 'postgres'];
export const STORE_NAME: Record<Backend, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

export interface Ctx {
  tool: Tool;
  /** Seconds per load test. */
  seconds: number;
  /** Messages per delivery drain. */
  deliveries: number;
  quick: boolean;
  /** Scratch directory of this run (bodies, SQLite files). */
  tmp: string;
  /** Figures measured once per run and shared by sections (the bare 202 server). */
  memo: Map<string, LoadResult>;
}

/** A fresh database for Herald; `drop()` removes a PostgreSQL schema (a SQLite file stays in tmp). */
export async function freshDatabase(ctx: Ctx, backend: Backend): Promise<{ url: string; drop(): Promise<void> }> {
  if (backend === 'sqlite')
    return { url: `sqlite:${join(mkdtempSync(join(ctx.tmp, 'db-')), 'herald.db')}`, drop: async () => undefined };
  const schema = await createSchema('herald');
  return { url: urlWithSchema(schema), drop: () => dropSchema(schema) };
}

/**
 * A fresh database holding `n` webhook messages to `<sink>/m<i>` (body `{"hello":"world"}`, as the
 * bare undici loop sends), stored through `herald api`'s batch route: the public contract, so the
 * preload keeps working whatever the store becomes.
 */
export async function preloadedDatabase(
  ctx: Ctx,
  backend: Backend,
  sink: string,
  n: number,
): Promise<{ url: string; drop(): Promise<void> }> {
  const db = await freshDatabase(ctx, backend);
  try {
    const api = await startHerald('api', db.url);
    try {
      for (let i = 0; i < n; i += 1000) {
        const messages = Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({
          channel: 'webhook',
          url: `${sink}/m${i + k}`,
          body: { hello: 'world' },
        }));
        const r = await fetch(`${api.url}/v1/messages/batch`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          body: JSON.stringify({ messages }),
        });
        if (r.status !== 202) throw new Error(`preload answered ${r.status}: ${await r.text()}`);
      }
    } finally {
      await api.proc.stop();
    }
    return db;
  } catch (err) {
    await db.drop();
    throw err;
  }
}

export interface Started {
  proc: Proc;
  /** http://127.0.0.1:<port>, when it listens. */
  url: string;
}

/**
 * `herald <role>` with Herald's own V8 flags and LOG_LEVEL=info (its default; stdout goes to
 * /dev/null), webhooks allowed to 127.0.0.1, IN_FLIGHT requests per webhook lane.
 */
export async function startHerald(
  role: 'api' | 'worker' | 'serve',
  databaseUrl: string,
  o: { nodeFlags?: readonly string[]; env?: Record<string, string> } = {},
): Promise<Started> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = await startNode(HERALD, [role], {
    nodeFlags: [...HERALD_NODE_FLAGS, ...(o.nodeFlags ?? [])],
    env: {
      DATABASE_URL: databaseUrl,
      HERALD_API_KEY: KEY,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
      HERALD_WEBHOOK_CONCURRENCY: String(IN_FLIGHT),
      ...o.env,
    },
    // Every role answers /healthz on PORT (a worker's own listener: /metrics, /healthz, /readyz).
    ready: answers(`${url}/healthz`),
  });
  return { proc, url };
}

/** A bare server of bench/servers.ts (`baseline`, `fastify`, `sink`, `relay <sinkUrl> <connections>`). */
export async function startServer(
  mode: 'baseline' | 'fastify' | 'sink' | 'relay',
  ...args: string[]
): Promise<Started> {
  const port = await freePort();
  const proc = await startNode(SERVERS, [mode, String(port), ...args], { ready: /ready/ });
  return { proc, url: `http://127.0.0.1:${port}` };
}

/** A peer process (bench/peers/<peer>.ts <mode> …); `port` is passed first for the modes that listen. */
export async function startPeer(
  peer: keyof typeof PEER,
  mode: string,
  args: string[],
  listens: boolean,
): Promise<Started> {
  const port = listens ? await freePort() : 0;
  const proc = await startNode(PEER[peer], [mode, ...(listens ? [String(port)] : []), ...args], {
    ready: /ready/,
    timeoutMs: 180_000,
  });
  return { proc, url: `http://127.0.0.1:${port}` };
}

export const bullmqQueue = () => `herald-bench-${randomBytes(4).toString('hex')}`;

/** Writes a JSON body for the load generator and answers its path. */
export function bodyFile(ctx: Ctx, name: string, body: unknown): string {
  const path = join(ctx.tmp, `${name}.json`);
  writeFileSync(path, JSON.stringify(body));
  return path;
}

/** The single webhook message of the ingest benchmarks (its URL is never called: `herald api` only stores). */
export const webhookMessage = (i: number, url = `http://127.0.0.1:9/hook/${i}`) => ({
  channel: 'webhook',
  url,
  body: { order: i, status: 'paid' },
});

/**
 * Loads `url` with `body` on `connections` for ctx.seconds; with the server's process, also the CPU
 * it spent per answered request (from /proc, so the load generator's own CPU is not counted).
 */
export async function loadPost(
  ctx: Ctx,
  url: string,
  bodyPath: string,
  connections: number,
  token?: string,
  server?: Proc,
): Promise<LoadResult> {
  const pid = server?.child.pid;
  const before = pid ? threadCpu(pid) : undefined;
  const r = await load(ctx.tool, {
    url,
    bodyFile: bodyPath,
    connections,
    seconds: ctx.seconds,
    ...(token ? { token } : {}),
  });
  if (!pid || !before || before.size === 0) return r;
  return { ...r, cpu: cpuPerRequest(before, threadCpu(pid), r.ok) };
}

/** The bare node:http 202 server under ingest load (c=64): measured once per run, shared by sections. */
export async function bare202(ctx: Ctx): Promise<LoadResult> {
  const key = 'bare202';
  const hit = ctx.memo.get(key);
  if (hit) return hit;
  const s = await startServer('baseline');
  try {
    const r = await loadPost(
      ctx,
      `${s.url}/v1/messages`,
      bodyFile(ctx, 'single', webhookMessage(0)),
      64,
      undefined,
      s.proc,
    );
    ctx.memo.set(key, r);
    return r;
  } finally {
    await s.proc.stop();
  }
}

export interface SinkStats {
  count: number;
  firstAt: number;
  lastAt: number;
}

export const sinkStats = async (sink: string): Promise<SinkStats> =>
  (await (await fetch(`${sink}/__stats`)).json()) as SinkStats;
export const resetSink = async (sink: string): Promise<void> =>
  void (await (await fetch(`${sink}/__reset`, { method: 'POST' })).text());

/**
 * Waits until the sink has `n` deliveries (or, with `settle`, until it has at least n and no more
 * arrive for that long), bounded by `deadlineMs`. Answers the sink's stats at that point.
 */
export async function drained(
  sink: string,
  n: number,
  deadlineMs: number,
  settleMs = 0,
): Promise<SinkStats & { complete: boolean }> {
  const until = wallMs() + deadlineMs;
  let s = await sinkStats(sink);
  let quietSince = wallMs();
  let last = s.count;
  while (wallMs() < until) {
    if (s.count !== last) {
      last = s.count;
      quietSince = wallMs();
    }
    if (s.count >= n && wallMs() - quietSince >= settleMs) return { ...s, complete: true };
    await sleep(25);
    s = await sinkStats(sink);
  }
  return { ...s, complete: s.count >= n };
}

/**
 * Waits for a drain of `n` deliveries to `sink` (as drained) and adds the CPU `proc` spent per delivery
 * meanwhile, from /proc (counted from this call: start the process first, then call).
 */
export async function drainedWithCpu(
  proc: Proc,
  sink: string,
  n: number,
  deadlineMs: number,
): Promise<SinkStats & { complete: boolean; cpu?: CpuPerRequest }> {
  const pid = proc.child.pid;
  const before = pid ? threadCpu(pid) : undefined;
  const s = await drained(sink, n, deadlineMs);
  if (!pid || !before || before.size === 0) return s;
  return { ...s, cpu: cpuPerRequest(before, threadCpu(pid), s.count) };
}

/** Baselines measured before and after a section further apart than this mean the machine moved under it. */
const UNSTEADY = 1.5;

/**
 * A baseline measured before Herald and after the peers: the mean is the reference, and a warning
 * when the two disagree by more than UNSTEADY× (another session's load came or went mid-section).
 */
export function bracketed(before: number, after: number): { mean: number; note: string; warning?: string } {
  const apart = Math.max(before, after) / Math.max(Math.min(before, after), 1e-9);
  return {
    mean: (before + after) / 2,
    note: `mean of ${fmt(before)} (before Herald) and ${fmt(after)} (after the peers)`,
    ...(apart > UNSTEADY
      ? {
          warning: `**Unsteady machine**: the baseline measured ${fmt(before)} before Herald and ${fmt(after)} after the peers (${apart.toFixed(1)}× apart); this section's ratios are not to be trusted — run it again.`,
        }
      : {}),
  };
}

export const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
export const ms = (n: number): string => (n >= 10 ? Math.round(n).toString() : n.toFixed(1));
/** "p50 7 ms, p99 23 ms" (+ errors when any, + the server's CPU per request when measured). */
export const latencyNote = (r: LoadResult): string =>
  `p50 ${ms(r.p50Ms)} ms, p99 ${ms(r.p99Ms)} ms${r.bad ? `; ${fmt(r.bad)} non-2xx or socket errors` : ''}` +
  (r.cpu ? `; ${cpuNote(r.cpu)}` : '');

/** Threads under this share of a request's CPU are summed as "other". */
const MINOR_THREAD = 0.08;

/** Node's thread names, as a reader knows them (Herald's only worker_threads thread is its SQLite thread). */
const THREAD_NAMES: Record<string, string> = {
  WorkerThread: 'worker thread (Herald: SQLite)',
  V8Worker: 'V8 helpers (GC, JIT)',
};

/** "server CPU 382 µs/request (event loop 213, worker thread (Herald: SQLite) 90, V8 helpers (GC, JIT) 79)" */
export function cpuNote(c: CpuPerRequest, per = 'request'): string {
  const major = c.threads.filter((t) => t.us >= c.totalUs * MINOR_THREAD);
  const other = c.totalUs - major.reduce((n, t) => n + t.us, 0);
  const parts = [
    ...major.map((t) => `${THREAD_NAMES[t.name] ?? t.name} ${Math.round(t.us)}`),
    ...(other >= 1 ? [`other ${Math.round(other)}`] : []),
  ];
  return `server CPU ${Math.round(c.totalUs)} µs/${per} (${parts.join(', ')})`;
}
