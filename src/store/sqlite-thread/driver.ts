import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import type { SqliteThread } from './client.ts';
import { rowsAsObjects, type Statement, type StatementResult } from './protocol.ts';
import { stepsOf } from '../steps.ts';

/*
 * A Kysely dialect whose queries run on the SQLite thread (thread.ts): the event loop compiles a
 * query, posts it and awaits the reply. Kysely's own SqliteDriver runs them on the event loop.
 *
 * One write connection, as in Kysely's SqliteDriver: a transaction holds it (a mutex) from its
 * BEGIN to its COMMIT or ROLLBACK, and a statement outside a transaction waits for it — else it
 * would run inside someone else's transaction. BEGIN is not a round trip of its own: it travels
 * with the transaction's first statement (a transaction with no statement sends nothing).
 *
 * No second, read-only connection: measured, it made list reads faster but took the CPU that
 * ingestion needs on 2 cores (docs/decisions/0022).
 */
export class ThreadDialect implements Dialect {
  readonly driver: ThreadDriver;
  constructor(writer: SqliteThread) {
    this.driver = new ThreadDriver(writer);
  }
  createDriver(): Driver {
    return this.driver;
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createAdapter() {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>) {
    return new SqliteIntrospector(db);
  }
}

class Mutex {
  private held: Promise<void> | undefined;
  private release: (() => void) | undefined;
  async lock(): Promise<void> {
    while (this.held) await this.held;
    this.held = new Promise((r) => (this.release = r));
  }
  unlock(): void {
    const r = this.release;
    this.held = undefined;
    this.release = undefined;
    r?.();
  }
}

export class ThreadDriver implements Driver {
  readonly writer: SqliteThread;
  readonly mutex = new Mutex();

  constructor(writer: SqliteThread) {
    this.writer = writer;
  }

  async init(): Promise<void> {}

  /** A handle per use: it takes the write connection only when it runs something. */
  async acquireConnection(): Promise<DatabaseConnection> {
    return new ThreadConnection(this);
  }

  async beginTransaction(conn: DatabaseConnection): Promise<void> {
    await (conn as ThreadConnection).begin();
  }

  async commitTransaction(conn: DatabaseConnection): Promise<void> {
    await (conn as ThreadConnection).end('COMMIT');
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    await (conn as ThreadConnection).end('ROLLBACK');
  }

  async savepoint(conn: DatabaseConnection, name: string): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw(`SAVEPOINT ${quoteName(name)}`));
  }

  async rollbackToSavepoint(conn: DatabaseConnection, name: string): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw(`ROLLBACK TO ${quoteName(name)}`));
  }

  async releaseSavepoint(conn: DatabaseConnection, name: string): Promise<void> {
    await conn.executeQuery(CompiledQuery.raw(`RELEASE ${quoteName(name)}`));
  }

  async releaseConnection(conn: DatabaseConnection): Promise<void> {
    (conn as ThreadConnection).release();
  }

  async destroy(): Promise<void> {
    await this.exclusive(() => this.writer.close());
  }

  /** Runs `fn` holding the write connection (no transaction of Kysely's is open meanwhile). */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    await this.mutex.lock();
    try {
      return await fn();
    } finally {
      this.mutex.unlock();
    }
  }

  /**
   * Runs the statements in one transaction on the write connection, in one round trip: BEGIN,
   * each statement, COMMIT (ROLLBACK on any error). Statements cannot use each other's results.
   */
  async batch(statements: readonly Statement[]): Promise<StatementResult[]> {
    return allAsObjects(await this.exclusive(() => this.writer.call<StatementResult[]>({ op: 'batch', statements })));
  }
}

function quoteName(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Each result's rows as objects (protocol.ts rowsAsObjects). */
function allAsObjects<T extends StatementResult>(results: T[]): T[] {
  for (const r of results) rowsAsObjects(r);
  return results;
}

function toQueryResult<R>(r: StatementResult): QueryResult<R> {
  rowsAsObjects(r);
  if (r.changes === undefined) return { rows: r.rows as R[] };
  return {
    rows: r.rows as R[],
    numAffectedRows: BigInt(r.changes),
    insertId: r.lastInsertRowid == null ? undefined : BigInt(r.lastInsertRowid),
  };
}

class ThreadConnection implements DatabaseConnection {
  /** Runs a list of steps (../steps.ts) in one round trip: the guarded dialect passes them through. */
  readonly runsSteps = true;
  private readonly d: ThreadDriver;
  /** Holds the write connection (the mutex). */
  private locked = false;
  /** Inside a transaction: the thread generation it began on. */
  private tx: number | undefined;
  /** BEGIN not yet sent: it goes with the next statement. */
  private pendingBegin = false;

  constructor(driver: ThreadDriver) {
    this.d = driver;
  }

  async begin(): Promise<void> {
    if (!this.locked) {
      await this.d.mutex.lock();
      this.locked = true;
    }
    this.tx = this.d.writer.generation;
    this.pendingBegin = true;
  }

  async end(command: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    const begun = !this.pendingBegin;
    const generation = this.tx;
    this.pendingBegin = false;
    this.tx = undefined;
    if (!begun) return;
    if (command === 'ROLLBACK') await this.d.writer.call({ op: 'rollback' }, generation);
    else await this.d.writer.call({ op: 'query', sql: 'COMMIT', params: [] }, generation);
  }

  release(): void {
    if (!this.locked) return;
    this.locked = false;
    this.d.mutex.unlock();
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const { sql, parameters } = query;
    const steps = stepsOf(query);
    if (this.tx !== undefined) {
      const begin = this.pendingBegin ? 'BEGIN' : undefined;
      this.pendingBegin = false;
      if (steps)
        return {
          rows: allAsObjects(
            await this.d.writer.call<StatementResult[]>({ op: 'steps', steps, begin }, this.tx),
          ) as R[],
        };
      const r = await this.d.writer.call<StatementResult>({ op: 'query', sql, params: parameters, begin }, this.tx);
      return toQueryResult<R>(r);
    }
    if (!this.locked) {
      await this.d.mutex.lock();
      this.locked = true;
    }
    try {
      // Steps outside a transaction are still one unit: the thread wraps them in BEGIN … COMMIT.
      if (steps)
        return {
          rows: allAsObjects(await this.d.writer.call<StatementResult[]>({ op: 'batch', statements: steps })) as R[],
        };
      return toQueryResult<R>(await this.d.writer.call<StatementResult>({ op: 'query', sql, params: parameters }));
    } finally {
      // One statement outside a transaction: give the write connection back at once.
      this.release();
    }
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize = 1000): AsyncIterableIterator<QueryResult<R>> {
    const { rows } = await this.executeQuery<R>(query);
    for (let i = 0; i < rows.length; i += chunkSize) yield { rows: rows.slice(i, i + chunkSize) };
  }
}
