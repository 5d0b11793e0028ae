import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pgClusterUnavailable, startPgCluster, type PgCluster } from '../helpers/pg-cluster.ts';
import { fuzz } from './fuzz.ts';
import { HeraldProcess } from './herald-process.ts';
import { Ledger, SmsProvider, WebhookSink } from './ledger.ts';
import { Load, sleep, type LoadStats } from './load.ts';
import type { Row } from './table.ts';

/**
 * The fault suite: real Herald processes (bin/herald.js), driven only from outside (HTTP,
 * signals, the database server, the disk), under steady ingest, while faults are injected one
 * phase at a time. `npm run chaos` runs the full profile (scripts/chaos.ts); test/chaos.test.ts
 * runs the short one inside `npm test`.
 */
export interface Profile {
  name: 'short' | 'full';
  /** Messages per second offered during the run. */
  rate: number;
  /** Injections of each fault. */
  repeats: number;
  /** Steady load after each injection (ms). */
  settleMs: number;
  /** How long an outage lasts: PostgreSQL down, disk full, provider misbehaving (ms). */
  outageMs: number;
  /** Longest wait for every accepted message to be delivered at the end (ms). */
  drainMs: number;
  /** Fuzzed requests per OpenAPI operation. */
  fuzzPerOperation: number;
  /** `herald worker` processes beside the `herald api` on PostgreSQL; 0: one `herald serve` instead. */
  workers: number;
  /**
   * HERALD_LEASE_MS: longer than an outage (with the server's restart), so that an outage alone
   * must not cause a repeat; a killed worker's messages wait this long.
   */
  leaseMs: number;
  /** Run only these faults (by their name in the table); all when unset. */
  only?: string[];
}

export const PROFILES: Record<Profile['name'], Profile> = {
  short: {
    name: 'short',
    rate: 40,
    repeats: 1,
    settleMs: 800,
    outageMs: 1000,
    drainMs: 45_000,
    fuzzPerOperation: 3,
    workers: 0,
    leaseMs: 5000,
  },
  full: {
    name: 'full',
    rate: 120,
    repeats: 3,
    settleMs: 4000,
    outageMs: 4000,
    drainMs: 120_000,
    fuzzPerOperation: 60,
    workers: 2,
    leaseMs: 30_000,
  },
};

export const API_KEY = 'hk_chaos_key_0123456789abcdef';

export interface ChaosResult {
  rows: Row[];
  /** Unexpected exits of Herald processes (each a defect). */
  crashes: string[];
  /** Per phase: how the API answered the load. */
  load: Record<string, LoadStats>;
  /** Anything worth reading when the run fails. */
  log: string[];
}

/** Settings that make a chaos run finish in seconds: short retries, lease and breaker. */
function heraldEnv(databaseUrl: string, config: string, profile: Profile): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    HERALD_CONFIG: config,
    HERALD_API_KEY: API_KEY,
    HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
    HERALD_POLL_MS: '50',
    HERALD_LEASE_MS: String(profile.leaseMs),
    HERALD_RETRY_SCHEDULE: '0,100ms,300ms,1s',
    HERALD_BREAKER_COOLDOWN_MS: '300',
    HERALD_BREAKER_MAX_COOLDOWN_MS: '2000',
    HERALD_WEBHOOK_TIMEOUT_MS: '4000',
    HERALD_SHUTDOWN_TIMEOUT_MS: '2000',
    LOG_LEVEL: 'warn',
  };
}

function providersFile(dir: string, sms: SmsProvider): string {
  const path = join(dir, 'herald.json');
  writeFileSync(
    path,
    JSON.stringify({
      providers: [
        {
          name: 'probe',
          channel: 'sms',
          type: 'fbrq',
          baseUrl: sms.baseUrl,
          token: sms.token,
          timeoutMs: 4000,
          retrySchedule: [0, '100ms', '300ms', '1s'],
          maxAttempts: 100,
        },
      ],
    }),
  );
  return path;
}

interface Phase {
  name: string;
  store: Row['store'];
  faults: number;
  /** When each fault ended (the server back, the process restarted, the disk freed). */
  ends: number[];
  /** When the phase began (its first injection). */
  startedAt: number;
  /** When each fault was injected. */
  injectedAt: number[];
  notes: string[];
  skipped?: string;
}

/**
 * Builds the rows of one topology from its ledger once it has drained. Messages count in the
 * row of the phase they were accepted in. A duplicate counts in the row of the first fault
 * injected between its first delivery and the repeat (a worker killed before it recorded the
 * outcome, say); when none was, in the row of the phase its first delivery fell in (a receiver
 * that answered after Herald's timeout).
 */
function rowsOf(phases: Phase[], ledger: Ledger, load: Load, attempts: Map<string, string>): Row[] {
  const live = phases.filter((p) => !p.skipped);
  const injections = live.flatMap((p) => p.injectedAt.map((at) => ({ at, p }))).sort((a, b) => a.at - b.at);
  const causeOf = (first: number, repeat: number) =>
    injections.find((i) => i.at >= first && i.at <= repeat)?.p ?? live.findLast((p) => p.startedAt <= first) ?? live[0];
  const dups = new Map<Phase, number>();
  const examples = new Map<Phase, string[]>();
  for (const [key, times] of ledger.taken) {
    if (times.length < 2) continue;
    const p = causeOf(times[0]!, times[1]!);
    if (!p) continue;
    dups.set(p, (dups.get(p) ?? 0) + times.length - 1);
    const ex = examples.get(p) ?? [];
    const a = ledger.accepted.get(key);
    if (ex.length < 3)
      ex.push(
        `${a?.channel ?? '?'} ${key} taken at ${times.map((t) => `${signed(t - p.startedAt)} ms`).join(', ')}` +
          (attempts.has(key) ? ` (Herald's attempts: ${attempts.get(key)})` : ''),
      );
    examples.set(p, ex);
  }
  return phases.map((p) => {
    if (p.skipped)
      return {
        scenario: p.name,
        store: p.store,
        faults: 0,
        accepted: 0,
        delivered: 0,
        lost: 0,
        duplicates: 0,
        skipped: p.skipped,
        notes: p.notes,
      };
    const mine = [...ledger.accepted.values()].filter((a) => a.phase === p.name);
    const delivered = mine.filter((a) => ledger.taken.has(a.key)).length;
    const duplicates = dups.get(p) ?? 0;
    // Recovery: from the end of each fault until the first message accepted after it was taken.
    let recoveryMs: number | undefined;
    const all = [...ledger.accepted.values()];
    for (const end of p.ends) {
      let first = Infinity;
      for (const a of all) {
        if (a.at < end) continue;
        const t = ledger.taken.get(a.key)?.[0];
        if (t !== undefined && t < first) first = t;
      }
      if (first !== Infinity) recoveryMs = Math.max(recoveryMs ?? 0, first - end);
    }
    const s = load.statsOf(p.name);
    const notes = [...p.notes];
    if (s.unavailable) notes.push(`${s.unavailable} × 503 while unavailable`);
    if (s.refused) notes.push(`${s.refused} refused connections`);
    if (s.internal) notes.push(`${s.internal} × 500: ${s.samples.join(' | ')}`);
    if (s.other) notes.push(`${s.other} other answers: ${s.samples.join(' | ')}`);
    if (duplicates) notes.push(`duplicates (after the phase began): ${examples.get(p)!.join('; ')}`);
    if (s.gaveUp) notes.push(`${s.gaveUp} messages given up by the client (never acknowledged)`);
    return {
      scenario: p.name,
      store: p.store,
      faults: p.faults,
      accepted: mine.length,
      delivered,
      lost: mine.length - delivered,
      duplicates,
      recoveryMs,
      internal: s.internal,
      notes,
    };
  });
}

const signed = (n: number) => (n < 0 ? `${n}` : `+${n}`);

/**
 * Herald's record of the attempts of up to `max` duplicated messages (outcome, status or error,
 * duration), to tell a receiver that answered after the timeout (Herald recorded a failure) from
 * a delivery whose outcome was never recorded (one `ok`).
 */
async function duplicateAttempts(api: string, ledger: Ledger, max = 40): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const [key, times] of ledger.taken) {
    if (times.length < 2 || out.size >= max) continue;
    const a = ledger.accepted.get(key);
    if (!a) continue;
    try {
      const r = await fetch(`${api}/v1/messages/${a.id}`, {
        headers: { authorization: `Bearer ${API_KEY}` },
        signal: AbortSignal.timeout(5000),
      });
      const m = (await r.json()) as {
        attempts?: { outcome: string; statusCode?: number | null; error?: string | null; durationMs?: number }[];
      };
      out.set(
        key,
        (m.attempts ?? [])
          .map(
            (x) =>
              `${x.outcome}${x.statusCode ? ` ${x.statusCode}` : ''}${x.error ? ` "${x.error.slice(0, 60)}"` : ''}${x.durationMs !== undefined ? ` ${x.durationMs} ms` : ''}`,
          )
          .join(' → '),
      );
    } catch {
      // the table does without it
    }
  }
  return out;
}

/** Waits until every accepted message was taken and Herald has nothing queued or sending. */
async function drain(ledger: Ledger, apiUrl: () => string, ms: number): Promise<string | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const missing = ledger.missing().length;
    let open = -1;
    if (missing === 0) open = await openMessages(apiUrl()).catch(() => -1);
    if (missing === 0 && open === 0) return undefined;
    if (Date.now() > end) return `after ${ms} ms: ${missing} accepted messages not delivered, ${open} open in Herald`;
    await sleep(250);
  }
}

/** How many messages Herald still has queued or sending (a page of at most 500 each). */
async function openMessages(api: string): Promise<number> {
  let n = 0;
  for (const state of ['queued', 'sending']) {
    const r = await fetch(`${api}/v1/messages?state=${state}&limit=500`, {
      headers: { authorization: `Bearer ${API_KEY}` },
      signal: AbortSignal.timeout(5000),
    });
    if (!r.ok) throw new Error(`list ${state}: ${r.status}`);
    n += ((await r.json()) as { items: unknown[] }).items.length;
  }
  return n;
}

/** Herald's own view of the accepted messages: how many are not `delivered` (by state). */
async function heraldStates(api: string, ledger: Ledger): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const ids = [...ledger.accepted.values()].map((a) => a.id);
  let i = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (i < ids.length) {
        const id = ids[i++]!;
        const r = await fetch(`${api}/v1/messages/${id}`, {
          headers: { authorization: `Bearer ${API_KEY}` },
          signal: AbortSignal.timeout(5000),
        });
        const state = r.ok ? ((await r.json()) as { state: string }).state : `HTTP ${r.status}`;
        if (state !== 'delivered') counts[state] = (counts[state] ?? 0) + 1;
      }
    }),
  );
  return counts;
}

type Log = (line: string) => void;

/** Runs one fault phase: sets the load's phase, injects `repeats` times, and lets the load settle after each. */
async function phase(
  phases: Phase[],
  load: Load,
  p: Omit<Phase, 'faults' | 'ends' | 'notes' | 'startedAt' | 'injectedAt'> & { notes?: string[] },
  profile: Profile,
  inject: (ph: Phase) => Promise<void>,
  log: Log,
): Promise<void> {
  if (profile.only && !profile.only.includes(p.name)) return;
  const ph: Phase = { ...p, faults: 0, ends: [], startedAt: Date.now(), injectedAt: [], notes: p.notes ?? [] };
  phases.push(ph);
  if (ph.skipped) {
    log(`${ph.name} (${ph.store}): skipped: ${ph.skipped}`);
    return;
  }
  load.phase = ph.name;
  for (let i = 0; i < profile.repeats; i++) {
    ph.injectedAt.push(Date.now());
    await inject(ph);
    ph.faults++;
    await sleep(profile.settleMs);
  }
  log(`${ph.name} (${ph.store}): ${ph.faults} injected`);
}

/** A fault that lasts a while (a full disk, a misbehaving receiver): `start` makes it and returns its end. */
interface Outage {
  name: string;
  skipped?: string | undefined;
  notes?: string[];
  start(): (() => unknown) | Promise<() => unknown>;
}

/**
 * After the last fault: cool-down, stop the load, wait for every accepted message, then the fault
 * rows (with what Herald still holds undelivered) and the fuzzer's row. Messages accepted during
 * warm-up and cool-down count in no fault's row but must arrive too: they count as lost in the first.
 */
async function finish(
  store: Row['store'],
  run: { phases: Phase[]; ledger: Ledger; load: Load; apiUrl: () => string; faults: readonly string[] },
  profile: Profile,
  log: Log,
): Promise<Row[]> {
  const { phases, ledger, load } = run;
  load.phase = 'cool-down';
  await sleep(profile.settleMs);
  await load.stop();
  const stuck = await drain(ledger, run.apiUrl, profile.drainMs);
  const url = run.apiUrl();
  const rows = rowsOf(phases, ledger, load, await duplicateAttempts(url, ledger));
  const states = await heraldStates(url, ledger);
  const notes: string[] = [];
  if (stuck) notes.push(stuck);
  if (Object.keys(states).length) notes.push(`accepted but not delivered in Herald: ${JSON.stringify(states)}`);
  const missing = ledger.missing();
  if (missing.length)
    notes.push(
      `not delivered: ${missing
        .slice(0, 5)
        .map((m) => `${m.key}=${m.id}`)
        .join(', ')}`,
    );
  rows[0]!.notes.push(...notes);
  const unattributed = ledger.missing().filter((m) => !run.faults.includes(m.phase)).length;
  if (unattributed) rows[0]!.lost += unattributed;
  log(`${store}: drained; fuzzing ${url}`);
  const fz = await fuzz(url, API_KEY, profile.fuzzPerOperation);
  rows.push({
    scenario: 'fuzzer',
    store,
    faults: fz.requests,
    accepted: 0,
    delivered: 0,
    lost: 0,
    duplicates: 0,
    bad5xx: fz.fivexx,
    notes: fz.samples,
  });
  return rows;
}

/**
 * PostgreSQL: a private cluster (never the shared server), one `herald api` and `profile.workers`
 * `herald worker` processes. Faults: SIGKILL of the API and of a worker, a server restart
 * (fast shutdown, down for `outageMs`), pg_terminate_backend of every Herald connection, and a
 * crash of the server (immediate shutdown: WAL recovery at start).
 */
export async function runPostgres(profile: Profile, log: Log): Promise<ChaosResult> {
  const skip = pgClusterUnavailable();
  const pgPhases = [
    'SIGKILL api',
    'SIGKILL serve',
    'SIGKILL worker',
    'PostgreSQL restart',
    'pg_terminate_backend',
    'PostgreSQL crash',
  ];
  const skippedRows = (why: string): ChaosResult => ({
    rows: [...pgPhases, 'fuzzer'].map((scenario) => ({
      scenario,
      store: 'postgres',
      faults: 0,
      accepted: 0,
      delivered: 0,
      lost: 0,
      duplicates: 0,
      skipped: why,
      notes: [],
    })),
    crashes: [],
    load: {},
    log: [`postgres: skipped: ${why}`],
  });
  if (skip) return skippedRows(skip);
  let cluster: PgCluster;
  try {
    cluster = await startPgCluster();
  } catch (err) {
    return skippedRows((err as Error).message);
  }
  const dir = mkdtempSync(join(tmpdir(), 'herald-chaos-pg-'));
  const ledger = new Ledger();
  const sink = new WebhookSink(ledger);
  const sms = new SmsProvider(ledger);
  const procs: HeraldProcess[] = [];
  let load: Load | undefined;
  try {
    await sink.start();
    await sms.start();
    const env = heraldEnv(await cluster.createDatabase('herald'), providersFile(dir, sms), profile);
    // No workers: one `herald serve` (API and worker in one process, as the short profile runs it).
    const api = new HeraldProcess(profile.workers ? 'api' : 'serve', profile.workers ? 'api' : 'serve', env);
    const workers = Array.from(
      { length: profile.workers },
      (_, i) => new HeraldProcess(`worker-${i + 1}`, 'worker', env),
    );
    procs.push(api, ...workers);
    await api.start(); // migrates first
    await Promise.all(workers.map((w) => w.start()));
    log(`postgres: private cluster on port ${cluster.port}, ${api.name} ${api.url}, ${workers.length} worker(s)`);
    load = new Load(
      () => api.url,
      ledger,
      () => sink.url,
      {
        rate: profile.rate,
        concurrency: 8,
        apiKey: API_KEY,
        smsEvery: 5,
        giveUpMs: 60_000,
      },
    );
    const phases: Phase[] = [];
    load.start();
    await sleep(profile.settleMs);
    let turn = 0;
    await phase(
      phases,
      load,
      { name: workers.length ? 'SIGKILL api' : 'SIGKILL serve', store: 'postgres' },
      profile,
      async (ph) => {
        await api.kill('SIGKILL');
        await api.start();
        ph.ends.push(Date.now());
      },
      log,
    );
    await phase(
      phases,
      load,
      { name: 'SIGKILL worker', store: 'postgres', skipped: workers.length ? undefined : 'no separate worker' },
      profile,
      async (ph) => {
        const w = workers[turn++ % workers.length]!;
        await w.kill('SIGKILL');
        await w.start();
        ph.ends.push(Date.now());
      },
      log,
    );
    await phase(
      phases,
      load,
      { name: 'PostgreSQL restart', store: 'postgres' },
      profile,
      async (ph) => {
        await cluster.restart({ mode: 'fast', downMs: profile.outageMs });
        ph.ends.push(Date.now());
      },
      log,
    );
    await phase(
      phases,
      load,
      { name: 'pg_terminate_backend', store: 'postgres' },
      profile,
      async (ph) => {
        const n = await cluster.terminate('herald');
        ph.ends.push(Date.now());
        ph.notes.push(`${n} sessions ended`);
      },
      log,
    );
    await phase(
      phases,
      load,
      { name: 'PostgreSQL crash', store: 'postgres' },
      profile,
      async (ph) => {
        await cluster.restart({ mode: 'immediate', downMs: Math.round(profile.outageMs / 2) });
        ph.ends.push(Date.now());
      },
      log,
    );
    const rows = await finish(
      'postgres',
      { phases, ledger, load, apiUrl: () => api.url, faults: pgPhases },
      profile,
      log,
    );
    return {
      rows,
      crashes: procs.flatMap((p) => p.crashes),
      load: Object.fromEntries(load.stats),
      log: procs.map((p) => p.output()),
    };
  } finally {
    await load?.stop();
    await Promise.all(procs.map((p) => stopProcess(p)));
    await sink.close();
    await sms.close();
    await cluster.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** SIGTERM, then SIGKILL after 10 s. */
async function stopProcess(p: HeraldProcess): Promise<void> {
  if (!p.running()) return;
  const t = setTimeout(() => void p.kill('SIGKILL'), 10_000);
  await p.stop();
  clearTimeout(t);
}

/** A small tmpfs at `dir` (root only); why not, or undefined when mounted. */
function mountTmpfs(dir: string, size: string): string | undefined {
  if (process.platform !== 'linux') return `a tmpfs needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'mounting a small tmpfs needs root';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
    // Unmounted by the run; this is for a run that dies first.
    process.once('exit', () => spawnSync('umount', ['-l', dir], { stdio: 'ignore' }));
    return undefined;
  } catch (err) {
    return `mount -t tmpfs failed: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  }
}

/** Fills the file system of `dir` to the last byte; returns the filler's path. */
function fillDisk(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  try {
    for (const size of [1 << 20, 1 << 12, 1 << 9]) {
      const chunk = Buffer.alloc(size, 0x55);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch {
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

/**
 * SQLite: one `herald serve` on a database in a small tmpfs (when root). Faults: SIGKILL of the
 * process, a full disk for `outageMs`, and the receivers misbehaving for `outageMs`: slow (past
 * the timeout), failing (503), garbage-answering (the SMS provider answers 200 with HTML, cut-off
 * JSON or the wrong fields) and vanished (the listeners closed: connections refused).
 */
export async function runSqlite(profile: Profile, log: Log): Promise<ChaosResult> {
  const dir = mkdtempSync(join(tmpdir(), 'herald-chaos-sqlite-'));
  const dbDir = join(dir, 'db');
  mkdirSync(dbDir);
  const noTmpfs = mountTmpfs(dbDir, '256m');
  const ledger = new Ledger();
  const sink = new WebhookSink(ledger);
  const sms = new SmsProvider(ledger);
  let herald: HeraldProcess | undefined;
  let load: Load | undefined;
  try {
    await sink.start();
    await sms.start();
    const env = heraldEnv(`sqlite:${join(dbDir, 'herald.db')}`, providersFile(dir, sms), profile);
    const h = (herald = new HeraldProcess('serve', 'serve', env));
    await h.start();
    log(`sqlite: herald serve ${h.url}${noTmpfs ? ` (no tmpfs: ${noTmpfs})` : ', database on a 256 MB tmpfs'}`);
    load = new Load(
      () => h.url,
      ledger,
      () => sink.url,
      {
        rate: profile.rate,
        concurrency: 8,
        apiKey: API_KEY,
        smsEvery: 5,
        giveUpMs: 60_000,
      },
    );
    const phases: Phase[] = [];
    // Faults that hold for `outageMs`: each starts and hands back how to end it.
    const receiversOk = () => {
      sink.mode = 'ok';
      sms.fake!.setMode('ok');
    };
    const outages: Outage[] = [
      {
        name: 'disk full',
        skipped: noTmpfs,
        start: () => {
          const filler = fillDisk(dbDir);
          return () => unlinkSync(filler);
        },
      },
      {
        name: 'provider slow',
        start: () => {
          sink.mode = 'slow';
          sms.fake!.setMode('slow', { delayMs: 6000 });
          return receiversOk;
        },
      },
      {
        name: 'provider failing',
        start: () => {
          sink.mode = 'fail';
          sms.fake!.setMode('fail', { status: 503 });
          return receiversOk;
        },
      },
      {
        name: 'provider garbage',
        notes: ['SMS provider only (a webhook answered 2xx is delivered)'],
        start: () => {
          sms.fake!.setMode('garbage');
          return () => sms.fake!.setMode('ok');
        },
      },
      {
        name: 'provider vanished',
        start: async () => {
          await Promise.all([sink.vanish(), sms.vanish()]);
          return () => Promise.all([sink.comeBack(), sms.comeBack()]);
        },
      },
    ];
    const names = ['SIGKILL serve', ...outages.map((o) => o.name)];
    load.start();
    await sleep(profile.settleMs);
    await phase(
      phases,
      load,
      { name: 'SIGKILL serve', store: 'sqlite' },
      profile,
      async (ph) => {
        await h.kill('SIGKILL');
        await h.start();
        ph.ends.push(Date.now());
      },
      log,
    );
    for (const o of outages)
      await phase(
        phases,
        load,
        { name: o.name, store: 'sqlite', skipped: o.skipped, notes: o.notes },
        profile,
        async (ph) => {
          const end = await o.start();
          await sleep(profile.outageMs);
          await end();
          ph.ends.push(Date.now());
        },
        log,
      );
    const rows = await finish('sqlite', { phases, ledger, load, apiUrl: () => h.url, faults: names }, profile, log);
    return { rows, crashes: [...h.crashes], load: Object.fromEntries(load.stats), log: [h.output()] };
  } finally {
    await load?.stop();
    if (herald) await stopProcess(herald);
    await sink.close();
    await sms.close();
    if (!noTmpfs) {
      try {
        execFileSync('umount', [dbDir], { stdio: 'pipe' });
      } catch {
        execFileSync('umount', ['-l', dbDir], { stdio: 'pipe' });
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
}
