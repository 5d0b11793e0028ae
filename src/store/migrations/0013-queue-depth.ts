import type { Migration } from './index.ts';

/**
 * Queue depth as counters (issue 10, item 3; docs/decisions/0026-messages-index-set.md):
 * `message_depth` holds, per open state (queued, sending, sent), how many messages are in it,
 * kept by triggers on `messages` in the same transaction as the change (a crash, a rollback, a
 * retention purge or an erasure keeps it exact). `store.stats.queueDepth()` sums a handful of rows
 * instead of counting an index range that grows with the backlog.
 *
 * SQLite: one row per state (one writer at a time: nothing to spread); row triggers, the update
 * trigger only when `state` changes.
 *
 * PostgreSQL: statement triggers with transition tables (one upsert per state per statement, not
 * per row: a claim or a completion of 1000 messages adds one delta). Each row is keyed by the
 * writing backend's pid (`slot`), so concurrent transactions never update the same counter row:
 * no writer waits on another's uncommitted count, and no two transactions can deadlock on them.
 * Slot 0 holds the initial count and the folded counts of backends that are gone (queueDepth folds
 * them when the table grows).
 */
export const COUNTED_STATES = ['queued', 'sending', 'sent'] as const;
const LIST = COUNTED_STATES.map((s) => `'${s}'`).join(', ');

const SQLITE = `
CREATE TABLE message_depth (
  state TEXT NOT NULL,
  slot INTEGER NOT NULL,
  n INTEGER NOT NULL,
  PRIMARY KEY (state, slot)
);
INSERT INTO message_depth (state, slot, n)
  SELECT s.state, 0, (SELECT count(*) FROM messages m WHERE m.state = s.state)
  FROM (SELECT 'queued' AS state UNION ALL SELECT 'sending' UNION ALL SELECT 'sent') s;
CREATE TRIGGER messages_depth_insert AFTER INSERT ON messages WHEN NEW.state IN (${LIST})
BEGIN
  UPDATE message_depth SET n = n + 1 WHERE state = NEW.state AND slot = 0;
END;
CREATE TRIGGER messages_depth_update AFTER UPDATE OF state ON messages WHEN OLD.state IS NOT NEW.state
BEGIN
  UPDATE message_depth SET n = n - 1 WHERE state = OLD.state AND slot = 0;
  UPDATE message_depth SET n = n + 1 WHERE state = NEW.state AND slot = 0;
END;
CREATE TRIGGER messages_depth_delete AFTER DELETE ON messages WHEN OLD.state IN (${LIST})
BEGIN
  UPDATE message_depth SET n = n - 1 WHERE state = OLD.state AND slot = 0;
END;
`;

/** The upsert of one statement's deltas, `deltas` a query of (state, k) rows. Locks in state order. */
const upsert = (deltas: string) => `
  INSERT INTO message_depth AS d (state, slot, n)
    SELECT state, pg_backend_pid(), sum(k) FROM (${deltas}) x
    WHERE state IN (${LIST}) GROUP BY state HAVING sum(k) <> 0 ORDER BY state
  ON CONFLICT (state, slot) DO UPDATE SET n = d.n + excluded.n;
  RETURN NULL;`;

const POSTGRES = `
CREATE TABLE message_depth (
  state text NOT NULL,
  slot integer NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (state, slot)
);
INSERT INTO message_depth (state, slot, n)
  SELECT s, 0, (SELECT count(*) FROM messages m WHERE m.state = s) FROM unnest(ARRAY[${LIST}]) AS s;
CREATE FUNCTION herald_depth_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN ${upsert('SELECT state, 1 AS k FROM new_rows')}
END $$;
CREATE FUNCTION herald_depth_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN ${upsert('SELECT state, 1 AS k FROM new_rows UNION ALL SELECT state, -1 FROM old_rows')}
END $$;
CREATE FUNCTION herald_depth_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN ${upsert('SELECT state, -1 AS k FROM old_rows')}
END $$;
CREATE TRIGGER messages_depth_insert AFTER INSERT ON messages
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_depth_insert();
CREATE TRIGGER messages_depth_update AFTER UPDATE ON messages
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_depth_update();
CREATE TRIGGER messages_depth_delete AFTER DELETE ON messages
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION herald_depth_delete();
`;

export const migration: Migration = { version: 13, name: 'queue-depth', sqlite: SQLITE, postgres: POSTGRES };
