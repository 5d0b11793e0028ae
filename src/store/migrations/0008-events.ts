import type { Migration } from './index.ts';

/**
 * Status events to subscribed endpoints (issue 13, docs/decisions/0023): endpoints, the event
 * deliveries (a durable queue of their own, claimed like messages), their attempts, one-off
 * per-message callbacks, and the dispatcher's cursor over `events` (the transactional outbox).
 */
const tables = (t: { text: string; big: string; int: string; serial: string }) => `
CREATE TABLE endpoints (
  id ${t.text} PRIMARY KEY,
  url ${t.text} NOT NULL,
  description ${t.text},
  events ${t.text} NOT NULL,
  filter ${t.text},
  enabled ${t.int} NOT NULL DEFAULT 1,
  secret ${t.text} NOT NULL,
  previous_secret ${t.text},
  previous_until ${t.big},
  failing_since ${t.big},
  disabled_reason ${t.text},
  disabled_at ${t.big},
  created_at ${t.big} NOT NULL,
  updated_at ${t.big} NOT NULL
);

CREATE TABLE event_deliveries (
  id ${t.text} PRIMARY KEY,
  event_id ${t.text} NOT NULL,
  type ${t.text} NOT NULL,
  message_id ${t.text},
  endpoint_id ${t.text} REFERENCES endpoints(id) ON DELETE CASCADE,
  url ${t.text} NOT NULL,
  lane ${t.text} NOT NULL,
  body ${t.text} NOT NULL,
  state ${t.text} NOT NULL,
  reason ${t.text},
  attempts ${t.int} NOT NULL DEFAULT 0,
  max_attempts ${t.int} NOT NULL,
  due_at ${t.big} NOT NULL,
  lease_owner ${t.text},
  lease_until ${t.big},
  status_code ${t.int},
  replay_of ${t.text},
  created_at ${t.big} NOT NULL,
  updated_at ${t.big} NOT NULL
);
CREATE INDEX event_deliveries_claim ON event_deliveries (due_at, lane, endpoint_id) WHERE state = 'queued';
CREATE INDEX event_deliveries_lease ON event_deliveries (lease_until) WHERE state = 'sending';
CREATE INDEX event_deliveries_endpoint ON event_deliveries (endpoint_id, id);
CREATE INDEX event_deliveries_message ON event_deliveries (message_id);
CREATE INDEX event_deliveries_created ON event_deliveries (created_at);

CREATE TABLE event_attempts (
  id ${t.serial},
  delivery_id ${t.text} NOT NULL REFERENCES event_deliveries(id) ON DELETE CASCADE,
  number ${t.int} NOT NULL,
  started_at ${t.big} NOT NULL,
  duration_ms ${t.int} NOT NULL,
  outcome ${t.text} NOT NULL,
  status_code ${t.int},
  response ${t.text},
  error ${t.text}
);
CREATE INDEX event_attempts_delivery ON event_attempts (delivery_id, id);

CREATE TABLE message_callbacks (
  message_id ${t.text} PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
  url ${t.text} NOT NULL,
  events ${t.text}
);

CREATE TABLE event_cursor (
  name ${t.text} PRIMARY KEY,
  last_id ${t.big} NOT NULL,
  last_tx ${t.big} NOT NULL
);

ALTER TABLE campaigns ADD COLUMN events_sent ${t.int} NOT NULL DEFAULT 0;
UPDATE campaigns SET events_sent = CASE WHEN finished_at IS NOT NULL OR state IN ('finished', 'cancelled') THEN 2 WHEN started_at IS NOT NULL THEN 1 ELSE 0 END;
`;

/*
 * SQLite: the dispatcher's cursor walks events.id, which SQLite hands out as max(id)+1 — an id can
 * come back after the newest rows are deleted (retention, erasure), and an event at or below the
 * cursor would be skipped. AUTOINCREMENT never reuses one, so the table is rebuilt with it. One
 * writer at a time makes ids commit in order: the cursor is gap-free.
 */
const sqliteEvents = `
CREATE TABLE events_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  from_state TEXT,
  to_state TEXT,
  source TEXT NOT NULL,
  detail TEXT
);
INSERT INTO events_new (id, message_id, at, type, from_state, to_state, source, detail)
  SELECT id, message_id, at, type, from_state, to_state, source, detail FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_message ON events (message_id, id);
INSERT INTO event_cursor (name, last_id, last_tx) SELECT 'events', COALESCE(MAX(id), 0), 0 FROM events;
`;

/*
 * PostgreSQL: identity values are taken in one order and committed in another, so a cursor on id
 * alone could pass an event still being written. Each row records its writing transaction (xid8);
 * the dispatcher reads only rows of transactions older than every running one
 * (pg_snapshot_xmin), in (txid, id) order: nothing can appear behind the cursor. Existing rows
 * keep a NULL txid (no table rewrite) and are never dispatched.
 */
const postgresEvents = `
ALTER TABLE events ADD COLUMN txid xid8;
ALTER TABLE events ALTER COLUMN txid SET DEFAULT pg_current_xact_id();
CREATE INDEX events_txid ON events (txid, id);
INSERT INTO event_cursor (name, last_id, last_tx) VALUES ('events', 0, 0);
`;

export const migration: Migration = {
  version: 8,
  name: 'events',
  sqlite: tables({ text: 'TEXT', big: 'INTEGER', int: 'INTEGER', serial: 'INTEGER PRIMARY KEY' }) + sqliteEvents,
  postgres:
    tables({ text: 'text', big: 'bigint', int: 'integer', serial: 'bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY' }) +
    postgresEvents,
};
