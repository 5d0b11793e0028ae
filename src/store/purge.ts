import { sql, type Kysely } from 'kysely';
import type { Capabilities } from './capabilities.ts';
import type { Database } from './schema.ts';

/** Rows removed with a set of messages. */
export interface PurgeCounts {
  messages: number;
  attempts: number;
  events: number;
}

export const NO_ROWS: PurgeCounts = { messages: 0, attempts: 0, events: 0 };

export function addCounts(a: PurgeCounts, b: PurgeCounts): PurgeCounts {
  return { messages: a.messages + b.messages, attempts: a.attempts + b.attempts, events: a.events + b.events };
}

/*
 * deleteMessageTrees — input: up to a few hundred message ids, inside the caller's transaction;
 * output: the rows deleted. Children first (attempts, events by their (message_id, id) indexes),
 * the status-event deliveries about them with their attempts (their payloads name the recipient),
 * then the outbox copy (keyed by message id), then the messages. Counts what was really deleted, so
 * two processes purging the same ids at once count each row once.
 */
export async function deleteMessageTrees(db: Kysely<Database>, ids: readonly string[]): Promise<PurgeCounts> {
  if (ids.length === 0) return NO_ROWS;
  const list = [...ids];
  const a = await db.deleteFrom('attempts').where('message_id', 'in', list).executeTakeFirst();
  const e = await db.deleteFrom('events').where('message_id', 'in', list).executeTakeFirst();
  const deliveries = db.selectFrom('event_deliveries').select('id').where('message_id', 'in', list);
  await db.deleteFrom('event_attempts').where('delivery_id', 'in', deliveries).execute();
  await db.deleteFrom('event_deliveries').where('message_id', 'in', list).execute();
  await db.deleteFrom('outbox').where('id', 'in', list).execute();
  const m = await db.deleteFrom('messages').where('id', 'in', list).executeTakeFirst();
  return { messages: Number(m.numDeletedRows), attempts: Number(a.numDeletedRows), events: Number(e.numDeletedRows) };
}

/**
 * SQLite: makes a transaction's first statement a write, so that it takes the write lock (waiting
 * on busy_timeout) before it reads. A transaction that reads first and writes later fails at once
 * with SQLITE_BUSY_SNAPSHOT when another process commits in between (WAL mode: `herald api` and
 * `herald worker` on one file). The statement deletes nothing: herald_health ids are positive.
 * PostgreSQL needs nothing: its row locks wait.
 */
export async function writeFirst(db: Kysely<Database>, caps: Capabilities): Promise<void> {
  if (!caps.skipLocked) await sql`DELETE FROM herald_health WHERE id < 0`.execute(db);
}
