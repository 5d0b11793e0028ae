import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort, workerData } from 'node:worker_threads';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { bindParams, checkpointWhenIdle, openSqlite } from '../node-sqlite-driver.ts';
import { stepCounts, type Step, type StepResult } from '../steps.ts';
import { errorData, type Reply, type Request, type StatementResult, type ThreadOptions } from './protocol.ts';

/*
 * The SQLite thread: owns one connection and runs what the event loop posts, one request at a time,
 * in arrival order. Statements are prepared once per SQL text and kept (a bounded cache). A
 * statement with result columns returns its rows; any other returns its change count.
 * Started by client.ts; never imported by anything else.
 */

const opts = workerData as ThreadOptions;
const port = parentPort!;

/** A prepared statement; a reader returns its rows as arrays of values in `columns` order (protocol.ts). */
type Prepared = { stmt: StatementSync; reader: boolean; columns: string[] | undefined };
const cache = new Map<string, Prepared>();
const cacheSize = opts.cacheSize ?? 256;

/*
 * A dropped statement's SQLite memory is freed only when V8 collects its wrapper, and node:sqlite
 * does not tell V8 about that memory. This thread allocates little JavaScript, so full collections
 * are rare and the dropped statements piled up as native memory (the soak benchmark saw RSS grow
 * ~5 MB/min; a loop preparing varied multi-row INSERTs grew to 2.6 GB, and stayed at 175 MB with
 * this). So the thread collects garbage itself after every `GC_EVERY` evictions.
 */
const GC_EVERY = 256;
let evictions = 0;
const collect = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

let db: DatabaseSync;
let idle: ReturnType<typeof checkpointWhenIdle>;
try {
  db = openSqlite(opts.path, opts.walAutocheckpoint);
  // Checkpoints between bursts, off the commit path (docs/decisions/0042).
  idle = checkpointWhenIdle(db);
  port.postMessage({ id: 0, ready: true } satisfies Reply);
} catch (err) {
  port.postMessage({ id: 0, ready: true, error: errorData(err) } satisfies Reply);
  process.exit(1);
}

function prepare(sql: string): Prepared {
  let p = cache.get(sql);
  if (p) {
    // Most recently used last: the oldest is dropped first.
    cache.delete(sql);
    cache.set(sql, p);
    return p;
  }
  const stmt = db.prepare(sql);
  const names = stmt.columns().map((c) => c.name);
  // setReturnArrays came with Node 24 (and 22.16): without it rows stay objects.
  const arrays = names.length > 0 && typeof stmt.setReturnArrays === 'function';
  if (arrays) stmt.setReturnArrays(true);
  p = { stmt, reader: names.length > 0, columns: arrays ? names : undefined };
  if (cache.size >= cacheSize) {
    cache.delete(cache.keys().next().value!);
    if (++evictions % GC_EVERY === 0) collect();
  }
  cache.set(sql, p);
  return p;
}

const DDL = /^\s*(ALTER|DROP|CREATE)\b/i;

/** Forgets the cached readers (their column names may have changed). */
function dropReaders(): void {
  for (const [sql, p] of cache) if (p.reader) cache.delete(sql);
}

/** One statement; named like node:sqlite's method (see exec). */
function run(sql: string, params: readonly unknown[]): StatementResult {
  const p = prepare(sql);
  const { stmt, reader } = p;
  const bound = bindParams(params);
  if (reader) {
    const rows = stmt.all(...bound);
    if (!p.columns) return { rows };
    // A schema change re-prepares a statement by itself (SELECT * after ADD COLUMN): re-read its columns.
    const first = rows[0] as unknown[] | undefined;
    if (first && first.length !== p.columns.length) p.columns = stmt.columns().map((c) => c.name);
    return { rows, columns: p.columns };
  }
  // DDL may change what cached readers return: they are prepared afresh.
  if (DDL.test(sql)) dropReaders();
  const r = stmt.run(...bound);
  return { rows: [], changes: r.changes, lastInsertRowid: r.lastInsertRowid };
}

/** Runs SQL without parameters or rows (BEGIN, COMMIT, ROLLBACK). Named like node:sqlite's method: bench/lib/cpuprofile.ts counts it as node:sqlite. */
function exec(sql: string): void {
  db.exec(sql);
}

function batch(statements: readonly Step[]): StatementResult[] {
  exec('BEGIN');
  try {
    const out = steps(statements);
    exec('COMMIT');
    return out;
  } catch (err) {
    // SQLite may have rolled back by itself (SQLITE_FULL): then there is nothing to roll back.
    if (db.isTransaction) exec('ROLLBACK');
    throw err;
  }
}

/** A transaction's steps (../steps.ts): each runs unless it is `ifPrevious` and the one before gave nothing. */
function steps(list: readonly Step[]): StepResult[] {
  const out: StepResult[] = [];
  let previous: StepResult | undefined;
  for (const s of list) {
    previous = s.ifPrevious && previous && !stepCounts(previous) ? { rows: [], skipped: true } : run(s.sql, s.params);
    out.push(previous);
  }
  return out;
}

function handle(req: Request): unknown {
  switch (req.op) {
    case 'query':
      if (req.begin) exec(req.begin);
      return run(req.sql, req.params);
    case 'steps':
      if (req.begin) exec(req.begin);
      return steps(req.steps);
    case 'batch':
      return batch(req.statements);
    case 'rollback':
      if (db.isTransaction) exec('ROLLBACK');
      return undefined;
    case 'migrate':
      dropReaders();
      return loaded().migrateSqlite(db, () => req.now);
    case 'status':
      return loaded().sqliteMigrationStatus(db);
    case 'close':
      idle.stop();
      cache.clear();
      db.close();
      return undefined;
  }
}

function reply(req: Request): void {
  let r: Reply;
  try {
    r = { id: req.id, ok: true, value: handle(req) };
  } catch (err) {
    r = { id: req.id, ok: false, error: errorData(err) };
  }
  port.postMessage(r);
  if (req.op === 'close') port.close();
}

// The migrations are loaded when first needed: a store opened to read or write starts faster.
let migrator: typeof import('../migrator.ts') | undefined;
let migratorError: unknown;
function loaded(): typeof import('../migrator.ts') {
  if (!migrator) throw migratorError;
  return migrator;
}
/** Requests that arrived while the migrations load: answered after, in order. */
let held: Request[] | undefined;

port.on('message', (req: Request) => {
  idle.busy();
  if (held) {
    held.push(req);
    return;
  }
  if (!migrator && migratorError === undefined && (req.op === 'migrate' || req.op === 'status')) {
    held = [req];
    void import('../migrator.ts')
      .then(
        (m) => (migrator = m),
        (err: unknown) => (migratorError = err), // each held request then fails with it
      )
      .finally(() => {
        const todo = held!;
        held = undefined;
        for (const r of todo) reply(r);
      });
    return;
  }
  reply(req);
});
