import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from 'kysely';
import { classifyStoreError, isStoreUnavailable, type FaultLog } from './faults.ts';
import { runStepsOneByOne, stepsOf } from './steps.ts';

/**
 * Wraps a Kysely dialect so that every database error leaves the store in one form:
 * - availability faults (unreachable, disk full, busy, I/O) become StoreUnavailableError and are
 *   recorded in the fault log (readiness);
 * - a failed ROLLBACK never hides the error that caused it: SQLite rolls back by itself on
 *   SQLITE_FULL (its ROLLBACK then says "no transaction is active"), and a terminated PostgreSQL
 *   connection cannot run one. The connection is released either way (pg-pool drops a broken client).
 */
export function guardDialect(inner: Dialect, faults: FaultLog): Dialect {
  return {
    createDriver: () => new GuardedDriver(inner.createDriver(), faults),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createAdapter: () => inner.createAdapter(),
    createIntrospector: (db) => inner.createIntrospector(db),
  };
}

class GuardedDriver implements Driver {
  private readonly inner: Driver;
  private readonly faults: FaultLog;
  private readonly wrapped = new WeakMap<DatabaseConnection, GuardedConnection>();

  constructor(inner: Driver, faults: FaultLog) {
    this.inner = inner;
    this.faults = faults;
  }

  /** Runs `fn`, rethrowing its error classified (and recorded when it is an availability fault). */
  readonly guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      const e = classifyStoreError(err);
      if (isStoreUnavailable(e)) this.faults.record(e);
      throw e;
    }
  };

  init(): Promise<void> {
    return this.guard(() => this.inner.init());
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const conn = await this.guard(() => this.inner.acquireConnection());
    let w = this.wrapped.get(conn);
    if (!w) this.wrapped.set(conn, (w = new GuardedConnection(conn, this.guard)));
    return w;
  }

  async beginTransaction(conn: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await this.guard(() => this.inner.beginTransaction(unwrap(conn), settings));
    if (conn instanceof GuardedConnection) conn.inTransaction = true;
  }

  commitTransaction(conn: DatabaseConnection): Promise<void> {
    if (conn instanceof GuardedConnection) conn.inTransaction = false;
    return this.guard(() => this.inner.commitTransaction(unwrap(conn)));
  }

  async rollbackTransaction(conn: DatabaseConnection): Promise<void> {
    if (conn instanceof GuardedConnection) conn.inTransaction = false;
    // Kysely calls this with the transaction's error in hand and rethrows that error afterwards.
    await this.inner.rollbackTransaction(unwrap(conn)).catch(() => undefined);
  }

  releaseConnection(conn: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(conn));
  }

  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

class GuardedConnection implements DatabaseConnection {
  readonly inner: DatabaseConnection;
  /** Between Kysely's BEGIN and its COMMIT or ROLLBACK. */
  inTransaction = false;
  private readonly guard: GuardedDriver['guard'];
  constructor(inner: DatabaseConnection, guard: GuardedDriver['guard']) {
    this.inner = inner;
    this.guard = guard;
  }
  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    // Steps (steps.ts): a connection that cannot run them in one call runs them one by one here,
    // in a transaction of their own when they are not in one already (as the SQLite thread does).
    const steps = stepsOf(query);
    if (steps && !('runsSteps' in this.inner)) {
      const own = !this.inTransaction && steps.length > 1;
      return this.guard(() => runStepsOneByOne(this.inner, steps, own) as Promise<QueryResult<R>>);
    }
    return this.guard(() => this.inner.executeQuery<R>(query));
  }
  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize);
  }
}

function unwrap(conn: DatabaseConnection): DatabaseConnection {
  return conn instanceof GuardedConnection ? conn.inner : conn;
}
