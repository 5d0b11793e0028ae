import type { Migration } from './index.ts';

/**
 * Retention and erasure (issue 13) need no schema change: retention walks the primary key (UUIDv7 =
 * creation time), and erasure finds a person's messages by the search indexes of migration 0009
 * (`messages_recipient_lower` on PostgreSQL, `messages_recipient_nocase` on SQLite). A draft of this
 * migration created its own `messages_recipient_lower`, which collides with 0009's on PostgreSQL;
 * the number stays, as a no-op, so a database that applied the draft is not "newer than the code".
 */
const script = `SELECT 1;`;

export const migration: Migration = {
  version: 12,
  name: 'retention',
  sqlite: script,
  postgres: script,
};
