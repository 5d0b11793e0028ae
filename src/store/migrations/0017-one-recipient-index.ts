import type { Migration } from './index.ts';

/**
 * One recipient index per store (docs/decisions/0041-one-recipient-index.md).
 *
 * `messages_recipient (recipient, id)` of 0001 and the search index of 0009 held the same key
 * twice: every insert, and on PostgreSQL every non-HOT update (claim, completion), wrote an entry in
 * both. The search index now serves the exact filter too, so `messages_recipient` goes:
 * - SQLite: `messages_recipient_nocase (recipient COLLATE NOCASE, id)` stays as it is. The exact
 *   filter is `recipient COLLATE NOCASE = ? AND recipient = ?` (src/store/recipients.repo.ts,
 *   `recipientIs`): an equality on the index's first column, newest first along `id`, and the
 *   exact comparison re-checks the few rows that differ only in case.
 * - PostgreSQL: `messages_recipient_lower` is rebuilt as
 *   `(lower(recipient) text_pattern_ops, recipient, id)`, so `lower(recipient) = lower($1) AND
 *   recipient = $1 ORDER BY id DESC LIMIT n` is an equality on both key columns and walks the index
 *   in id order (no sort). `recipient` is in the key because a PostgreSQL index scan checks a filter
 *   only after reading the row: with `(lower(recipient), id)` alone, `Hot@x.com` next to 10,000
 *   messages to `hot@x.com` read all 10,000 rows to answer nothing (120 ms at 1M rows; SQLite's
 *   NOCASE index stores the original text and checks it in the index). A prefix
 *   (`lower(recipient) LIKE 'p%'`) is still a range on the first column, and erasure's
 *   `lower(recipient) IN (…)` an equality on it.
 *   The trigram index (`messages_recipient_trgm`, substrings) stays. Extended statistics
 *   (`messages_recipient_lower_dep`, functional dependency of lower(recipient) on recipient) keep
 *   the row estimate of the two equalities right: free on writes, read at ANALYZE.
 * `messages_unique (recipient, unique_id, created_at)` stays: lastByUniqueId walks it.
 *
 * PostgreSQL rebuilds an index in the migration's transaction, which blocks writes to `messages`
 * meanwhile (≈ 1–3 s per million messages here).
 */
const SQLITE = `
DROP INDEX IF EXISTS messages_recipient;
`;

const PG = `
DROP INDEX IF EXISTS messages_recipient;
DROP INDEX IF EXISTS messages_recipient_lower;
CREATE INDEX messages_recipient_lower ON messages (lower(recipient) text_pattern_ops, recipient, id);
-- lower(recipient) follows from recipient: without this the planner multiplies the two
-- selectivities, expects a handful of rows for any recipient, and reads every message of one with
-- thousands through a bitmap and a sort instead of walking the index newest first (PostgreSQL 14+).
DO $$
BEGIN
  IF current_setting('server_version_num')::int >= 140000 THEN
    CREATE STATISTICS messages_recipient_lower_dep (dependencies) ON recipient, (lower(recipient)) FROM messages;
  END IF;
END
$$;
ANALYZE messages;
`;

export const migration: Migration = { version: 17, name: 'one-recipient-index', sqlite: SQLITE, postgres: PG };
