import type { Migration } from './index.ts';

/** Messages (the queue itself), attempts, events, API keys. */
const tables = (t: { text: string; big: string; serial: string }) => `
CREATE TABLE messages (
  id ${t.text} PRIMARY KEY,
  channel ${t.text} NOT NULL,
  provider ${t.text},
  lane ${t.text} NOT NULL,
  recipient ${t.text} NOT NULL,
  sender ${t.text},
  subject ${t.text},
  body_text ${t.text},
  body_html ${t.text},
  payload ${t.text},
  priority integer NOT NULL DEFAULT 0,
  categories ${t.big} NOT NULL DEFAULT 0,
  unique_id ${t.text},
  idempotency_key ${t.text},
  request_hash ${t.text},
  campaign_id ${t.text},
  contact_id ${t.text},
  state ${t.text} NOT NULL,
  reason ${t.text},
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  due_at ${t.big} NOT NULL,
  not_after ${t.big},
  lease_owner ${t.text},
  lease_until ${t.big},
  provider_message_id ${t.text},
  engagement integer NOT NULL DEFAULT 0,
  metadata ${t.text},
  created_at ${t.big} NOT NULL,
  sent_at ${t.big},
  delivered_at ${t.big},
  updated_at ${t.big} NOT NULL
);
-- The claim: due queued messages, highest priority first, then oldest due.
CREATE INDEX messages_claim ON messages (priority DESC, due_at) WHERE state = 'queued';
-- Lease reaper.
CREATE INDEX messages_leases ON messages (lease_until) WHERE state = 'sending';
-- Expiry sweeper.
CREATE INDEX messages_not_after ON messages (not_after) WHERE state = 'queued' AND not_after IS NOT NULL;
CREATE UNIQUE INDEX messages_idempotency ON messages (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_state ON messages (state, id);
CREATE INDEX messages_channel ON messages (channel, id);
CREATE INDEX messages_provider ON messages (provider, id) WHERE provider IS NOT NULL;
CREATE INDEX messages_recipient ON messages (recipient, id);
CREATE INDEX messages_provider_message_id ON messages (provider_message_id) WHERE provider_message_id IS NOT NULL;
CREATE INDEX messages_unique ON messages (recipient, unique_id, created_at) WHERE unique_id IS NOT NULL;
CREATE INDEX messages_campaign ON messages (campaign_id, state) WHERE campaign_id IS NOT NULL;

CREATE TABLE attempts (
  id ${t.serial},
  message_id ${t.text} NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  number integer NOT NULL,
  provider ${t.text},
  started_at ${t.big} NOT NULL,
  duration_ms integer NOT NULL,
  outcome ${t.text} NOT NULL,
  status_code integer,
  response ${t.text},
  error ${t.text}
);
CREATE INDEX attempts_message ON attempts (message_id, id);

CREATE TABLE events (
  id ${t.serial},
  message_id ${t.text} NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
  at ${t.big} NOT NULL,
  type ${t.text} NOT NULL,
  from_state ${t.text},
  to_state ${t.text},
  source ${t.text} NOT NULL,
  detail ${t.text}
);
CREATE INDEX events_message ON events (message_id, id);

CREATE TABLE api_keys (
  id ${t.text} PRIMARY KEY,
  name ${t.text} NOT NULL,
  prefix ${t.text} NOT NULL,
  hash ${t.text} NOT NULL UNIQUE,
  scopes ${t.text} NOT NULL,
  created_at ${t.big} NOT NULL,
  last_used_at ${t.big},
  revoked_at ${t.big}
);
`;

export const migration: Migration = {
  version: 1,
  name: 'core',
  sqlite: tables({ text: 'TEXT', big: 'INTEGER', serial: 'INTEGER PRIMARY KEY' }),
  postgres: tables({ text: 'text', big: 'bigint', serial: 'bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY' }),
};
