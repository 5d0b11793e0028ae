import type { Migration } from './index.ts';

/**
 * `lease_until` out of every index key (docs/decisions/0038-postgres-message-writes.md).
 *
 * `messages_leases` held the messages being sent keyed by `lease_until`, so on PostgreSQL every lease
 * renewal (an UPDATE of `lease_until` alone) was a non-HOT update: a new entry in each of the table's
 * 14 indexes for a row that changed one number. Keyed by `id` instead (same rows: `state = 'sending'`),
 * no index mentions `lease_until` and a renewal can be a HOT update (no index entry at all) wherever
 * the page has room. What read it:
 * - the lease reaper (`state = 'sending' AND lease_until < now`): reads every row in the index and
 *   checks `lease_until` on each. The index holds only the messages in hand (at most
 *   HERALD_WORKER_MAX_IN_FLIGHT per worker), so the walk stays short;
 * - a `sending` list (state-filter.ts, SQLite's `INDEXED BY`): now walks it in id order, no sort.
 * Same on both stores (one logical index set).
 */
const SQL = `
DROP INDEX messages_leases;
CREATE INDEX messages_leases ON messages (id) WHERE state = 'sending';
`;

export const migration: Migration = { version: 15, name: 'leases-by-id', sqlite: SQL, postgres: SQL };
