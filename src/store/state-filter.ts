import { CompiledQuery, sql, type Kysely, type RawBuilder } from 'kysely';
import { MESSAGE_STATES, type MessageState } from '../domain/states.ts';
import type { Capabilities } from './capabilities.ts';
import { LISTED_STATES } from './migrations/0010-lean-indexes.ts';
import type { Database } from './schema.ts';

/*
 * The `state` filter of message lists, phrased so that each state finds its index without the
 * (state, id) index that migration 0010 dropped (docs/decisions/0026-messages-index-set.md):
 * - every state but `sending` and `delivered`: `messages_state_listed`, whose predicate the filter
 *   repeats literally (SQLite uses a partial index only when the query carries its WHERE term as written);
 * - `sending`: the lease partial index when it holds few rows (read them all, sort by id), else
 *   the primary key newest first (many open rows: the page fills quickly);
 * - `delivered`: the primary key newest first.
 */

const LISTED: ReadonlySet<string> = new Set(LISTED_STATES);
const LISTED_SQL = sql.raw(LISTED_STATES.map((s) => `'${s}'`).join(', '));

/** The partial index that holds exactly the messages in a state that messages_state_listed leaves out. */
const OPEN_INDEX: Partial<Record<MessageState, string>> = { sending: 'messages_leases' };

/**
 * Up to this many rows in the open state's partial index, a list reads them all and sorts them by
 * id (≈ 20 ms at 1M rows, bench/indexes.ts); above it, walking the primary key fills a page sooner.
 */
export const SORT_OPEN_UP_TO = 3000;

/** `state = '<state>'` with the state as a literal (a known state only), plus the partial index's term. */
export function stateTerm(state: MessageState): RawBuilder<boolean> {
  if (!(MESSAGE_STATES as readonly string[]).includes(state)) throw new Error(`unknown state ${state}`);
  const eq = sql<boolean>`state = ${sql.raw(`'${state}'`)}`;
  return LISTED.has(state) ? sql<boolean>`${eq} AND state IN (${LISTED_SQL})` : eq;
}

/**
 * SQLite only (its planner has no statistics): the partial index a `sending` list should read,
 * when it holds at most SORT_OPEN_UP_TO rows; undefined otherwise.
 */
export async function openStateIndex(
  db: Kysely<Database>,
  caps: Capabilities,
  state: MessageState | undefined,
): Promise<string | undefined> {
  const index = state && OPEN_INDEX[state];
  if (!index || !caps.indexHints) return undefined;
  const { rows } = await sql<{ n: number }>`
    SELECT count(*) AS n FROM (SELECT 1 FROM messages INDEXED BY ${sql.raw(index)}
    WHERE ${stateTerm(state)} LIMIT ${SORT_OPEN_UP_TO + 1})`.execute(db);
  return Number(rows[0]?.n ?? 0) <= SORT_OPEN_UP_TO ? index : undefined;
}

/** The compiled list query with `INDEXED BY index` after its one `from "messages"`. */
export function withIndex(q: CompiledQuery, index: string): CompiledQuery {
  const from = 'from "messages"';
  if (!q.sql.includes(from)) throw new Error('withIndex: no from "messages" in the query');
  return CompiledQuery.raw(q.sql.replace(from, `${from} INDEXED BY ${index}`), [...q.parameters]);
}
