import type { Migration } from './index.ts';

/**
 * Erasure (DELETE /v1/recipients/{recipient}) finds a person's messages however the address was
 * written: e-mail addresses are stored as the client sent them (`Ann@Example.com`), and compare
 * without case (recipientKey). The same expression in both stores; the planner uses it for
 * `lower(recipient) IN (…)`. Retention needs no index: it walks the primary key (UUIDv7 = time).
 */
const script = `
CREATE INDEX messages_recipient_key ON messages (lower(recipient), id);
`;

export const migration: Migration = {
  version: 12,
  name: 'retention',
  sqlite: script,
  postgres: script,
};
