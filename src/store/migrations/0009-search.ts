import type { Migration } from './index.ts';

/**
 * Search (issue 14): messages by recipient prefix or substring, contacts by phone, e-mail, tag or
 * attribute text (docs/api.md, *Search*).
 *
 * PostgreSQL: `messages_recipient_lower` (btree, text_pattern_ops) serves prefixes
 * (`lower(recipient) LIKE 'abc%'`); trigram GIN indexes (pg_trgm) serve substrings (`ILIKE '%abc%'`):
 * - `messages_recipient_trgm` on messages.recipient;
 * - `contacts_search_trgm` on the contact's search text (phone, e-mail, tag, attributes JSON; the
 *   same expression the repository queries, `CONTACT_SEARCH_TEXT` in search.ts).
 * The extension is created (in `public`) where it is missing and allowed; when pg_trgm is not installed on the
 * server or the role may not create it, the migration still succeeds without these indexes (a
 * NOTICE says so) and the searches scan instead (correct, slower). Run
 * `CREATE EXTENSION pg_trgm` as a superuser and re-create the indexes by hand to get them later
 * (`messages_recipient_trgm` with migration 0017's `WHERE state <> 'sending'`; docs/api.md).
 *
 * SQLite: `messages_recipient_nocase` (recipient COLLATE NOCASE, id) turns a case-insensitive
 * prefix into an index range. Substrings and contact search scan newest first and stop at a page:
 * SQLite has no trigram index without an FTS table kept up to date by triggers on the ingest path.
 */
const PG = `
-- Prefixes, ignoring case, as a btree range (any collation: text_pattern_ops compares bytes).
CREATE INDEX messages_recipient_lower ON messages (lower(recipient) text_pattern_ops);
DO $$
DECLARE
  ext_schema text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm')
     AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
    -- In public when allowed (a schema dropped later would take the extension and every index
    -- using it along), else in the current schema.
    BEGIN
      CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
    EXCEPTION WHEN OTHERS THEN
      BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
      EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'herald 0009: pg_trgm could not be created (%)', SQLERRM;
      END;
    END;
  END IF;
  SELECT n.nspname INTO ext_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
  IF ext_schema IS NULL THEN
    RAISE NOTICE 'herald 0009: pg_trgm is not available: search scans instead of using trigram indexes';
    RETURN;
  END IF;
  EXECUTE format('CREATE INDEX messages_recipient_trgm ON messages USING gin (recipient %I.gin_trgm_ops)', ext_schema);
  EXECUTE format(
    'CREATE INDEX contacts_search_trgm ON contacts USING gin ((lower(coalesce(phone, '''') || '' '' || '
    'coalesce(email, '''') || '' '' || coalesce(tag, '''') || '' '' || coalesce(attributes, ''''))) %I.gin_trgm_ops)',
    ext_schema);
END
$$;
`;

const SQLITE = `
CREATE INDEX messages_recipient_nocase ON messages (recipient COLLATE NOCASE, id);
`;

export const migration: Migration = { version: 9, name: 'search', sqlite: SQLITE, postgres: PG };
