/**
 * The high-availability layout of deploy/compose.yaml, run as processes on this machine: a private
 * PostgreSQL cluster (never the shared one), `herald migrate` once, 2 × `herald api` behind a
 * round-robin proxy (test/helpers/rr-proxy.ts, in the manner of deploy/compose/haproxy.cfg) and
 * 2 × `herald worker`, delivering webhooks to a sink on 127.0.0.1. A paced client sends a steady
 * stream of messages through the proxy (each with an Idempotency-Key, retried on no answer or 5xx,
 * as a client of a load balancer should), while faults are injected: SIGKILL of an API process,
 * SIGKILL of the worker that leads the campaign scheduler, a PostgreSQL restart. A killed process
 * is started again after a pause (compose's `restart: always`).
 *
 * Everything is observed from outside: answers to the client, requests at the sink, the
 * processes' log lines, and, for the scheduler's leadership, PostgreSQL's own lock table (the
 * leader holds a session advisory lock, src/store/campaigns.repo.ts tryLead), its session mapped
 * to a process through the process's sockets (/proc). Used by test/deploy/ha.test.ts (short) and
 * deploy/ha-check.ts (longer, writes docs/deploy.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { Pool } from 'undici';
import { HERALD_NODE_FLAGS } from '../../src/node-flags.ts';
import { closedPort } from './cli.ts';
import { startPgCluster, type PgCluster } from './pg-cluster.ts';
import { startRoundRobinProxy } from './rr-proxy.ts';

const HERALD_BIN = join(import.meta.dirname, '..', '..', 'bin', 'herald.js');
export const HA_KEY = 'hk_ha_check_key_0123456789abcdef';
const LOCK_NAME = 'campaign-scheduler';

export type FaultKind = 'kill-api' | 'kill-worker' | 'restart-postgres';

export interface HaOptions {
  /** Messages per second offered by the client. */
  rate: number;
  /** Seconds of load. */
  loadSeconds: number;
  /** Faults, in seconds after the load starts. */
  faults: { at: number; kind: FaultKind }[];
  /** A killed process is started again after this long (compose's `restart: always`); undefined: not started again. */
  restartAfterMs: number | undefined;
  /** PostgreSQL stays down this long during its restart. */
  pgDownMs: number;
  /** HERALD_LEASE_MS of the workers (how long a killed worker's messages wait to be sent again). */
  leaseMs: number;
  /** Bound on waiting, after the load, for every accepted message to be delivered. */
  drainTimeoutMs: number;
  /** A client gives a message up after retrying it this long. */
  giveUpMs?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Aborts the run (everything started is stopped). */
  signal?: AbortSignal;
}

export interface FaultResult {
  kind: FaultKind;
  /** Which process (kill) or `postgres`. */
  target: string;
  /** Seconds after the load started. */
  at: number;
  /** PostgreSQL unreachable (restart) / killed process until its replacement answered /readyz. */
  downMs: number;
  /** Client attempts that got no answer or a 5xx until the next fault (each retried). */
  failedAttempts: number;
  /** From the fault until the last failed attempt of its window (0: none failed). */
  ingestDisruptedMs: number;
  /** From the fault until every message accepted before it was delivered. */
  deliveryRecoveredMs: number;
  /** The leader before and after, and from the fault until a (live) process held the lock again. */
  leaderBefore: string | null;
  leaderAfter: string | null;
  leaderRecoveredMs: number;
}

export interface HaResult {
  offered: number;
  accepted: number;
  /** Given up after retries (never answered 202): not accepted, so not lost, but counted. */
  unacknowledged: number;
  /** Distinct accepted messages that reached the sink. */
  delivered: number;
  /** Accepted and never delivered by the end of the drain. Must be 0. */
  lost: number;
  /** Extra deliveries of a message already delivered (at-least-once: a killed worker's messages). */
  duplicates: number;
  /** Messages not accepted (given up) that reached the sink anyway: Herald had stored them. */
  deliveredUnacknowledged: number;
  drainMs: number;
  faults: FaultResult[];
  leader: {
    /** Most sessions holding the scheduler lock in any sample (PostgreSQL allows one). */
    maxHolders: number;
    /** Times the holding process changed (a gap counts when the same process comes back). */
    changes: number;
    samples: number;
    /** Who led, in order (process names, `none` for a gap). */
    timeline: { at: number; holder: string | null }[];
    /** Samples in which the lock was held by a session whose client process was gone (a killed leader's, until PostgreSQL noticed). */
    orphaned: number;
    /** Longest time two live processes both said (in their logs) that they led: a stale claim. */
    staleClaimMs: number;
    /** Process names that said "scheduler leads", in order. */
    claims: string[];
  };
  /** Exits not caused by this harness (a crash): must be none. */
  unexpectedExits: { name: string; code: number | null; signal: string | null; tail: string }[];
  /**
   * Processes that refused to start (exit code 2, e.g. the database unreachable while it started)
   * and were started again, as a restart policy does: expected while PostgreSQL is down.
   */
  startRefusals: { name: string; code: number | null; line: string }[];
  /** 5xx answers seen by the client (each retried). */
  fiveXx: number;
  postgres: string;
}

interface Managed {
  name: string;
  role: 'api' | 'worker';
  port: number;
  child?: ChildProcess;
  killedByUs: boolean;
  /** This launch answered /readyz. */
  up: boolean;
  tail: string[];
  claimFrom?: number;
  claims: [number, number][];
}

const now = () => performance.timeOrigin + performance.now();

/** The socket inodes a process holds. */
function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) out.add(m[1]!);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // the process is gone
  }
  return out;
}

/** The inode of the TCP socket whose local port is `port` and remote port `remote` (IPv4 or IPv6). */
function inodeOf(localPort: number, remotePort: number): string | undefined {
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const c = line.trim().split(/\s+/);
      if (c.length < 10) continue;
      const lp = parseInt(c[1]!.split(':').at(-1)!, 16);
      const rp = parseInt(c[2]!.split(':').at(-1)!, 16);
      if (lp === localPort && rp === remotePort) return c[9];
    }
  }
  return undefined;
}

function startSink() {
  const deliveries = new Map<number, { n: number; firstAt: number }>();
  let total = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const m = /^\/hook\/(\d+)$/.exec(req.url ?? '');
      if (m) {
        const i = Number(m[1]);
        const d = deliveries.get(i);
        if (d) d.n++;
        else deliveries.set(i, { n: 1, firstAt: now() });
        total++;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise<{ url: string; deliveries: typeof deliveries; total: () => number; close(): Promise<void> }>(
    (resolve) =>
      server.listen(0, '127.0.0.1', () =>
        resolve({
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          deliveries,
          total: () => total,
          close: () =>
            new Promise<void>((r) => {
              server.closeAllConnections();
              server.close(() => r());
            }),
        }),
      ),
  );
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function answers(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
    await r.arrayBuffer();
    return r.ok;
  } catch {
    return false;
  }
}

/** Runs the layout under load and faults; always stops everything it started. */
export async function runHaCheck(o: HaOptions): Promise<HaResult> {
  const log = o.log ?? (() => undefined);
  const giveUpMs = o.giveUpMs ?? 30_000;
  const cleanup: (() => Promise<unknown>)[] = [];
  let cluster: PgCluster | undefined;
  const setup0 = now();
  try {
    cluster = await startPgCluster();
    const pgc = cluster;
    cleanup.push(() => pgc.destroy());
    const version = (await cluster.query<{ server_version: string }>('SHOW server_version'))[0]!.server_version;
    const dbUrl = await cluster.createDatabase('herald');
    log(`postgres ${version} on port ${cluster.port} (private cluster), ${((now() - setup0) / 1000).toFixed(1)} s`);
    const sink = await startSink();
    cleanup.push(() => sink.close());

    const baseEnv = {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: dbUrl,
      HERALD_API_KEY: HA_KEY,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
      HERALD_LEASE_MS: String(o.leaseMs),
    };
    const migrate = spawn(process.execPath, [...HERALD_NODE_FLAGS, HERALD_BIN, 'migrate'], {
      env: baseEnv,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let migrateErr = '';
    migrate.stderr.on('data', (c: Buffer) => (migrateErr += c.toString()));
    const code = await new Promise<number | null>((r) => migrate.once('exit', r));
    if (code !== 0) throw new Error(`herald migrate exited ${code}: ${migrateErr}`);

    const procs: Managed[] = [];
    for (const [role, n] of [
      ['api', 2],
      ['worker', 2],
    ] as const)
      for (let k = 1; k <= n; k++)
        procs.push({
          name: `${role}-${k}`,
          role,
          port: await closedPort(),
          killedByUs: false,
          up: false,
          tail: [],
          claims: [],
        });
    const unexpectedExits: HaResult['unexpectedExits'] = [];
    const startRefusals: HaResult['startRefusals'] = [];
    let stopping = false;

    const endClaim = (p: Managed, at: number) => {
      if (p.claimFrom !== undefined) p.claims.push([p.claimFrom, at]);
      p.claimFrom = undefined;
    };
    const claimOrder: string[] = [];
    const launch = (p: Managed) => {
      const env: Record<string, string> = { ...baseEnv };
      if (p.role === 'api') env.PORT = String(p.port);
      else env.HERALD_METRICS_PORT = String(p.port);
      p.tail.length = 0;
      const child = spawn(process.execPath, [...HERALD_NODE_FLAGS, HERALD_BIN, p.role], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      p.child = child;
      p.killedByUs = false;
      p.up = false;
      let buf = '';
      const onData = (c: Buffer) => {
        buf += c.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          p.tail.push(line);
          if (p.tail.length > 50) p.tail.shift();
          if (line.includes('"scheduler leads"')) {
            p.claimFrom = now();
            claimOrder.push(p.name);
          } else if (line.includes('scheduler lost its leader lock')) endClaim(p, now());
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code, signal) => {
        endClaim(p, now());
        if (!p.killedByUs && !stopping) {
          if (!p.up && code === 2) {
            const line = p.tail.filter((l) => l.startsWith('herald:')).join(' ') || (p.tail.at(-1) ?? '');
            startRefusals.push({ name: p.name, code, line });
            log(`${p.name} refused to start (${line}); starting it again`);
          } else {
            unexpectedExits.push({ name: p.name, code, signal, tail: p.tail.slice(-15).join('\n') });
            log(`${p.name} exited by itself (${code ?? signal}); starting it again`);
          }
          setTimeout(() => void launch(p), o.restartAfterMs ?? 1000).unref();
        }
      });
      return child;
    };
    const ready = async (p: Managed, timeoutMs = 240_000) => {
      const start = now();
      const end = start + timeoutMs;
      while (now() < end) {
        o.signal?.throwIfAborted();
        if (await answers(`http://127.0.0.1:${p.port}/readyz`)) {
          const took = now() - start;
          p.up = true;
          log(`${p.name} ready ${(took / 1000).toFixed(1)} s after it was started`);
          return;
        }
        // A launch that exits is started again (the exit handler): keep waiting for that one.
        await sleep(100);
      }
      throw new Error(`${p.name} did not get ready:\n${p.tail.join('\n')}`);
    };
    cleanup.push(async () => {
      stopping = true;
      await Promise.all(
        procs.map(async (p) => {
          const c = p.child;
          if (!c || c.exitCode !== null || c.signalCode !== null) return;
          const exited = new Promise((r) => c.once('exit', r));
          c.kill('SIGTERM');
          const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(t);
        }),
      );
    });
    for (const p of procs) launch(p);
    await Promise.all(procs.map((p) => ready(p)));
    log(
      `2 × herald api, 2 × herald worker ready (ports ${procs.map((p) => p.port).join(', ')}), ${((now() - setup0) / 1000).toFixed(1)} s`,
    );

    const apis = procs.filter((p) => p.role === 'api');
    const proxy = await startRoundRobinProxy(
      apis.map((p) => ({ name: p.name, host: '127.0.0.1', port: p.port, healthPath: '/readyz' })),
    );
    cleanup.push(() => proxy.close());

    // The scheduler's leadership as PostgreSQL records it: who holds the advisory lock.
    const pgPort = cluster.port;
    const holderName = (clientPort: number): string | undefined => {
      const inode = inodeOf(clientPort, pgPort);
      if (!inode) return undefined;
      for (const p of procs) if (p.child?.pid && socketInodes(p.child.pid).has(inode)) return p.name;
      return undefined;
    };
    const leader = {
      maxHolders: 0,
      changes: 0,
      samples: 0,
      orphaned: 0,
      timeline: [] as { at: number; holder: string | null }[],
      current: null as string | null,
      sawLeader: false,
    };
    let t0 = now();
    let sampling = true;
    let admin: pg.Client | undefined;
    const sampleLeader = async () => {
      try {
        if (!admin) {
          const c = new pg.Client({
            connectionString: cluster!.url,
            application_name: 'ha-check-observer',
            connectionTimeoutMillis: 1000,
          });
          c.on('error', () => undefined);
          await c.connect();
          admin = c;
        }
        const { rows } = await admin.query<{ client_port: number }>(
          `SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
             AND l.classid::bigint = (hashtext($1)::bigint & 4294967295)`,
          [LOCK_NAME],
        );
        leader.samples++;
        leader.maxHolders = Math.max(leader.maxHolders, rows.length);
        let holder: string | null = null;
        if (rows[0]) {
          holder = holderName(rows[0].client_port) ?? null;
          if (holder === null) leader.orphaned++;
        }
        if (holder !== leader.current) {
          if (holder !== null && leader.sawLeader) leader.changes++;
          if (holder !== null) leader.sawLeader = true;
          leader.current = holder;
          leader.timeline.push({ at: (now() - t0) / 1000, holder });
        }
      } catch {
        // PostgreSQL is down (its restart): nobody can hold the lock; ask again on a new connection.
        const c = admin;
        admin = undefined;
        await c?.end().catch(() => undefined);
        if (leader.current !== null) {
          leader.current = null;
          leader.timeline.push({ at: (now() - t0) / 1000, holder: null });
        }
      }
    };
    const sampler = (async () => {
      while (sampling) {
        await sampleLeader();
        await sleep(100);
      }
    })();
    cleanup.push(async () => {
      sampling = false;
      await sampler;
      await admin?.end().catch(() => undefined);
    });
    // A leader before the load starts (the scheduler's first pass).
    for (let i = 0; i < 200 && leader.current === null; i++) await sleep(50);

    // The client.
    const pool = new Pool(proxy.url, { connections: 16, keepAliveTimeout: 30_000 });
    cleanup.push(() => pool.close());
    const acceptedAt = new Map<number, number>();
    const failures: number[] = [];
    let offered = 0;
    let unacknowledged = 0;
    let fiveXx = 0;
    const inFlight = new Set<Promise<void>>();
    const sendOne = async (i: number) => {
      const body = JSON.stringify({ channel: 'webhook', url: `${sink.url}/hook/${i}`, body: { i } });
      // Given up only after retrying for giveUpMs since the first failed attempt (a request may
      // wait in the client's queue for long while the database is down).
      let end = Infinity;
      for (;;) {
        let ok = false;
        try {
          const r = await pool.request({
            path: '/v1/messages',
            method: 'POST',
            headers: {
              authorization: `Bearer ${HA_KEY}`,
              'content-type': 'application/json',
              'idempotency-key': `ha-${i}`,
            },
            body,
            headersTimeout: 10_000,
            bodyTimeout: 10_000,
          });
          await r.body.dump();
          if (r.statusCode === 202 || r.statusCode === 200) ok = true;
          else if (r.statusCode >= 500) fiveXx++;
          else throw new Error(`POST /v1/messages answered ${r.statusCode} for message ${i}`);
        } catch (err) {
          if (err instanceof Error && err.message.startsWith('POST /v1/messages answered')) throw err;
        }
        if (ok) {
          acceptedAt.set(i, now());
          return;
        }
        failures.push(now());
        if (end === Infinity) end = now() + giveUpMs;
        if (now() > end) {
          unacknowledged++;
          return;
        }
        await sleep(250);
      }
    };
    let clientError: Error | undefined;
    const send = (i: number) => {
      offered++;
      const p = sendOne(i)
        .catch((err: unknown) => void (clientError ??= err instanceof Error ? err : new Error(String(err))))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    };

    const faultsDone: (FaultResult & { t: number; windowEnd?: number })[] = [];
    const injectors = o.faults
      .slice()
      .sort((a, b) => a.at - b.at)
      .map((f) => ({ ...f, fired: false }));
    let apiTurn = 0;
    const fire = async (kind: FaultKind, atS: number) => {
      const t = now();
      const before = leader.current;
      const rec: FaultResult & { t: number; windowEnd?: number } = {
        kind,
        target: '',
        at: atS,
        downMs: 0,
        failedAttempts: 0,
        ingestDisruptedMs: 0,
        deliveryRecoveredMs: 0,
        leaderBefore: before,
        leaderAfter: null,
        leaderRecoveredMs: 0,
        t,
      };
      const prev = faultsDone.at(-1);
      if (prev) prev.windowEnd = t;
      faultsDone.push(rec);
      if (kind === 'restart-postgres') {
        rec.target = 'postgres';
        log(`t=${atS}s restarting PostgreSQL (down ${o.pgDownMs} ms)`);
        rec.downMs = await cluster!.restart({ mode: 'fast', downMs: o.pgDownMs });
      } else {
        const pool = kind === 'kill-api' ? apis : procs.filter((p) => p.role === 'worker');
        // The worker that leads (the interesting one), else the next API process in turn.
        const p =
          kind === 'kill-worker'
            ? (pool.find((x) => x.name === leader.current) ?? pool[0]!)
            : pool[apiTurn++ % pool.length]!;
        rec.target = p.name;
        log(`t=${atS}s SIGKILL ${p.name} (pid ${p.child?.pid})`);
        p.killedByUs = true;
        const exited = new Promise((r) => p.child!.once('exit', r));
        p.child!.kill('SIGKILL');
        await exited;
        if (o.restartAfterMs === undefined) {
          rec.downMs = NaN;
          return;
        }
        await sleep(o.restartAfterMs);
        launch(p);
        await ready(p);
        rec.downMs = now() - t;
        log(`${p.name} back after ${(rec.downMs / 1000).toFixed(1)} s`);
      }
    };

    // The load, with the faults at their times.
    t0 = now();
    leader.timeline.length = 0;
    leader.timeline.push({ at: 0, holder: leader.current });
    const durationMs = o.loadSeconds * 1000;
    const running: Promise<void>[] = [];
    log(`load: ${o.rate} msg/s for ${o.loadSeconds} s through the proxy`);
    while (now() - t0 < durationMs) {
      const el = now() - t0;
      const owed = Math.floor((el / 1000) * o.rate) - offered;
      for (let k = 0; k < owed && inFlight.size < 2000; k++) send(offered);
      for (const f of injectors)
        if (!f.fired && el >= f.at * 1000) {
          f.fired = true;
          running.push(
            fire(f.kind, f.at).catch((err: unknown) => {
              clientError ??= err instanceof Error ? err : new Error(String(err));
            }),
          );
        }
      if (clientError) throw clientError;
      o.signal?.throwIfAborted();
      await sleep(5);
    }
    const loadEnd = now();
    await Promise.all(running);
    await Promise.all([...inFlight]);
    if (clientError) throw clientError;
    log(`load done: ${offered} offered, ${acceptedAt.size} accepted, ${unacknowledged} given up; draining`);

    // Drain: every accepted message at the sink, bounded.
    const d0 = now();
    const undelivered = () => [...acceptedAt.keys()].filter((i) => !sink.deliveries.has(i)).length;
    while (undelivered() > 0 && now() - d0 < o.drainTimeoutMs) {
      o.signal?.throwIfAborted();
      await sleep(200);
    }
    // A little longer, so that late duplicates are counted too.
    await sleep(1000);
    const drainMs = now() - d0;
    sampling = false;
    await sampler;
    const last = faultsDone.at(-1);
    if (last) last.windowEnd = loadEnd;

    for (const f of faultsDone) {
      const end = f.windowEnd ?? loadEnd;
      const inWindow = failures.filter((x) => x >= f.t && x < end);
      f.failedAttempts = inWindow.length;
      f.ingestDisruptedMs = inWindow.length ? Math.max(...inWindow) - f.t : 0;
      let latest = f.t;
      for (const [i, at] of acceptedAt)
        if (at < f.t) latest = Math.max(latest, sink.deliveries.get(i)?.firstAt ?? Infinity);
      f.deliveryRecoveredMs = latest - f.t;
      const atS = (f.t - t0) / 1000;
      const endS = f.windowEnd === loadEnd ? Infinity : ((f.windowEnd ?? loadEnd) - t0) / 1000;
      const changed = leader.timeline.filter((x) => x.at >= atS && x.at < endS);
      if (!changed.length) {
        // Nothing changed: the leader carried on.
        f.leaderAfter = f.leaderBefore;
        f.leaderRecoveredMs = 0;
      } else {
        const back = changed.find((x) => x.holder !== null);
        f.leaderAfter = back?.holder ?? null;
        f.leaderRecoveredMs = back ? back.at * 1000 - (f.t - t0) : Infinity;
      }
    }

    // Stale claims: two live processes whose logs both said they led at once.
    const claimsOf = (p: Managed): [number, number][] => [
      ...p.claims,
      ...(p.claimFrom !== undefined ? [[p.claimFrom, now()] as [number, number]] : []),
    ];
    let staleClaimMs = 0;
    const [w1, w2] = procs.filter((p) => p.role === 'worker') as [Managed, Managed];
    for (const [s1, e1] of claimsOf(w1))
      for (const [s2, e2] of claimsOf(w2)) staleClaimMs = Math.max(staleClaimMs, Math.min(e1, e2) - Math.max(s1, s2));

    let duplicates = 0;
    let deliveredAccepted = 0;
    let deliveredUnacknowledged = 0;
    for (const [i, d] of sink.deliveries) {
      duplicates += d.n - 1;
      if (acceptedAt.has(i)) deliveredAccepted++;
      else deliveredUnacknowledged++;
    }
    return {
      offered,
      accepted: acceptedAt.size,
      unacknowledged,
      delivered: deliveredAccepted,
      lost: acceptedAt.size - deliveredAccepted,
      duplicates,
      deliveredUnacknowledged,
      drainMs,
      faults: faultsDone.map(({ t: _t, windowEnd: _w, ...f }) => f),
      leader: {
        maxHolders: leader.maxHolders,
        changes: leader.changes,
        samples: leader.samples,
        timeline: leader.timeline,
        orphaned: leader.orphaned,
        staleClaimMs: Math.max(0, staleClaimMs),
        claims: claimOrder,
      },
      unexpectedExits,
      startRefusals,
      fiveXx,
      postgres: version,
    };
  } finally {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
  }
}

const ms = (v: number) =>
  Number.isFinite(v) ? `${(v / 1000).toFixed(1)} s` : Number.isNaN(v) ? 'not restarted' : 'never';

/** The figures as a Markdown table and lines (docs/deploy.md, the script's output). */
export function haMarkdown(r: HaResult, o: HaOptions): string {
  const rows = r.faults.map(
    (f) =>
      `| ${f.at} s | ${f.kind === 'restart-postgres' ? `PostgreSQL restart (down ${o.pgDownMs} ms)` : `SIGKILL ${f.target}`} | ${ms(f.downMs)} | ${f.failedAttempts} | ${ms(f.ingestDisruptedMs)} | ${ms(f.deliveryRecoveredMs)} | ${f.leaderBefore ?? '—'} → ${f.leaderAfter ?? '—'} in ${ms(f.leaderRecoveredMs)} |`,
  );
  return [
    `| accepted (202) | delivered | lost | duplicates | given up by the client (of them delivered) | 5xx answers (retried) |`,
    '| --- | --- | --- | --- | --- | --- |',
    `| ${r.accepted} of ${r.offered} | ${r.delivered} | **${r.lost}** | ${r.duplicates} | ${r.unacknowledged} (${r.deliveredUnacknowledged}) | ${r.fiveXx} |`,
    '',
    '| at | fault | process / server back | failed client attempts | ingest disrupted for | every earlier message delivered after | scheduler leader |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Scheduler leadership (PostgreSQL's lock table, sampled every 100 ms, ${r.leader.samples} samples): at most ` +
      `${r.leader.maxHolders} holder at a time, ${r.leader.changes} change(s) of leader ` +
      `(${r.leader.timeline.map((x) => `${x.at.toFixed(1)} s ${x.holder ?? 'none'}`).join(' → ')}); ` +
      `${r.leader.orphaned} samples in which the lock was still held by the session of a process that was gone; longest time two live workers both logged that they led: ${ms(r.leader.staleClaimMs)}.` +
      ` Processes that exited by themselves: ${r.unexpectedExits.length ? r.unexpectedExits.map((e) => e.name).join(', ') : 'none'}` +
      (r.startRefusals.length
        ? `; a restarted process that refused to start while PostgreSQL was down (exit 2, started again): ${r.startRefusals.map((e) => `${e.name} (\`${e.line}\`)`).join(', ')}.`
        : '.'),
  ].join('\n');
}
