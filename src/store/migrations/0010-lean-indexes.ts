import type { Migration } from './index.ts';

/**
 * A leaner write path (issue 10, item 3; docs/decisions/0026-messages-index-set.md, measured by
 * bench/indexes.ts at 1,000,000 rows on both stores).
 *
 * `messages_state (state, id)` held every message and moved on every hot transition: in at insert
 * (queued), moved at the claim (queued → sending) and again at the completion (sending →
 * delivered). It becomes `messages_state_listed`, the same columns for every state except
 * `sending` and `delivered`: an insert still adds an entry and a claim removes it, but a completion
 * to `delivered` touches it no more. The list filter keeps an index walk for every state:
 * - the states in the index: (state, id) newest first, as before (`list()` repeats the index's
 *   predicate literally, which SQLite needs to use a partial index);
 * - `sending`: the lease partial index when it holds few rows (sorted by id), else the primary key;
 * - `delivered` (most messages): the primary key newest first.
 * Queue depth no longer counts on this index: migration 0013 keeps counters.
 *
 * Runs on databases that already have 0011 and 0012 (0010 was left free; the migrator applies every
 * version missing from the ledger, in version order).
 */
export const LISTED_STATES = ['queued', 'sent', 'failed', 'bounced', 'suppressed', 'expired', 'cancelled'] as const;

const script = `
DROP INDEX IF EXISTS messages_state;
CREATE INDEX messages_state_listed ON messages (state, id)
  WHERE state IN (${LISTED_STATES.map((s) => `'${s}'`).join(', ')});
`;

export const migration: Migration = { version: 10, name: 'lean-indexes', sqlite: script, postgres: script };
