import type { Migration } from './index.ts';

/**
 * The trigram index leaves out the messages being sent (docs/decisions/0045).
 *
 * On PostgreSQL every claim (queued → sending) and every completion (sending → delivered) writes a
 * new row version with an entry in each index it qualifies for; the trigram GIN index
 * `messages_recipient_trgm` (0009, substring search) was the dearest of them (~25 trigrams of a
 * webhook URL per version, through GIN's pending list and its clean-up). Built `WHERE state <>
 * 'sending'`, the claim's version gets no entry: claim + completion 131 → 101 µs of server CPU per
 * message in the measurement of 0045. A substring search (`recipientContains`,
 * src/store/search.ts `recipientContainsTerm`) adds `state <> 'sending' OR state = 'sending'`: the
 * planner reads this index for the first arm and `messages_leases` (0015, the messages in hand)
 * for the second. Where pg_trgm is not installed there is no index to rebuild.
 *
 * PostgreSQL builds the new index in the migration's transaction: writes to `messages` wait
 * meanwhile (≈ 10–30 s per million messages). SQLite has no trigram index: nothing to do.
 */
const PG = `
DO $$
DECLARE
  opclass_schema text;
BEGIN
  SELECT n.nspname INTO opclass_schema
  FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_opclass o ON o.oid = i.indclass[0]
  JOIN pg_namespace n ON n.oid = o.opcnamespace
  WHERE c.relname = 'messages_recipient_trgm' AND c.relnamespace = current_schema()::regnamespace;
  IF opclass_schema IS NULL THEN
    RETURN;
  END IF;
  DROP INDEX messages_recipient_trgm;
  EXECUTE format(
    'CREATE INDEX messages_recipient_trgm ON messages USING gin (recipient %I.gin_trgm_ops) WHERE state <> ''sending''',
    opclass_schema);
END
$$;
`;

export const migration: Migration = { version: 17, name: 'trigram-index-settled', sqlite: '', postgres: PG };
