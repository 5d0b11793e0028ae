import { CompiledQuery, type DatabaseConnection, type Kysely, type QueryResult } from 'kysely';

/*
 * Steps — one store operation as a fixed list of statements, run in one call (docs/decisions/0028).
 *
 * The SQLite thread runs the whole list on its side and answers once: a group of inserts or of
 * completions costs one round trip between the event loop and the thread instead of one per
 * statement (sqlite-thread/thread.ts). Any other connection runs the steps one at a time
 * (guarded-dialect.ts), with the same results.
 *
 * A step may depend on the one before it in one way only: `ifPrevious` runs it only when the
 * previous step returned a row or changed one (a completion's event row follows its UPDATE; the
 * status-event rows of an insert follow the check that an endpoint wants them).
 */
export interface Step {
  sql: string;
  params: readonly unknown[];
  /** Run only when the step before returned at least one row or changed at least one. */
  ifPrevious?: boolean | undefined;
}

/** What one step gave: rows, the change count; `skipped` when `ifPrevious` held it back. */
export interface StepResult {
  rows: unknown[];
  changes?: number | bigint | undefined;
  skipped?: boolean | undefined;
}

const STEPS = Symbol('herald.steps');
type StepsQuery = CompiledQuery & { [STEPS]: readonly Step[] };

/** The steps carried by a query built by runSteps, if it is one. */
export function stepsOf(query: CompiledQuery): readonly Step[] | undefined {
  return (query as Partial<StepsQuery>)[STEPS];
}

/**
 * Runs the steps on `db` in one call where the connection can (the SQLite thread), else one by one.
 * They are atomic together: inside the caller's transaction, or in one of their own.
 */
export async function runSteps(
  db: Pick<Kysely<unknown>, 'executeQuery'>,
  steps: readonly Step[],
): Promise<StepResult[]> {
  const query: StepsQuery = { ...CompiledQuery.raw('-- steps', []), [STEPS]: steps };
  const r = await db.executeQuery<StepResult>(query);
  return r.rows;
}

/** Whether a step's result lets the next `ifPrevious` step run. */
export function stepCounts(r: StepResult): boolean {
  return !r.skipped && (r.rows.length > 0 || Number(r.changes ?? 0) > 0);
}

/**
 * The steps on a connection that runs one statement per call (PostgreSQL, SQLite on the event loop);
 * with `ownTransaction`, between a BEGIN and a COMMIT of their own (ROLLBACK on an error).
 */
export async function runStepsOneByOne(
  conn: DatabaseConnection,
  steps: readonly Step[],
  ownTransaction: boolean,
): Promise<QueryResult<StepResult>> {
  if (!ownTransaction) return { rows: await stepByStep(conn, steps) };
  await conn.executeQuery(CompiledQuery.raw('BEGIN'));
  try {
    const rows = await stepByStep(conn, steps);
    await conn.executeQuery(CompiledQuery.raw('COMMIT'));
    return { rows };
  } catch (err) {
    await conn.executeQuery(CompiledQuery.raw('ROLLBACK')).catch(() => undefined);
    throw err;
  }
}

async function stepByStep(conn: DatabaseConnection, steps: readonly Step[]): Promise<StepResult[]> {
  const out: StepResult[] = [];
  let previous: StepResult | undefined;
  for (const s of steps) {
    if (s.ifPrevious && previous && !stepCounts(previous)) {
      previous = { rows: [], skipped: true };
    } else {
      const r = await conn.executeQuery<unknown>(CompiledQuery.raw(s.sql, [...s.params]));
      previous = { rows: r.rows, changes: r.numAffectedRows };
    }
    out.push(previous);
  }
  return out;
}
