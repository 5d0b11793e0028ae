import type { Migration } from './index.ts';

/**
 * Contacts and campaigns (seed 003). A campaign's fan-out checkpoint is the id of the last contact
 * it wrote a message for: contacts are paged by id, so resuming after a crash continues from there.
 */
const tables = (t: { text: string; big: string }) => `
CREATE TABLE contacts (
  id ${t.text} PRIMARY KEY,
  phone ${t.text},
  email ${t.text},
  operator_code ${t.text},
  tag ${t.text},
  timezone ${t.text} NOT NULL,
  attributes ${t.text},
  created_at ${t.big} NOT NULL,
  updated_at ${t.big} NOT NULL
);
-- NULLs are distinct in both engines: contacts without a phone do not collide.
CREATE UNIQUE INDEX contacts_phone ON contacts (phone);
CREATE INDEX contacts_email ON contacts (email) WHERE email IS NOT NULL;
-- Fan-out and list filters walk these in id order.
CREATE INDEX contacts_operator ON contacts (operator_code, id);
CREATE INDEX contacts_tag ON contacts (tag, id);

CREATE TABLE campaigns (
  id ${t.text} PRIMARY KEY,
  name ${t.text},
  channel ${t.text} NOT NULL,
  provider ${t.text},
  sender ${t.text},
  subject ${t.text},
  text ${t.text} NOT NULL,
  filter ${t.text} NOT NULL,
  start_at ${t.big} NOT NULL,
  end_at ${t.big} NOT NULL,
  window_from ${t.text},
  window_to ${t.text},
  priority integer NOT NULL DEFAULT 0,
  state ${t.text} NOT NULL,
  checkpoint ${t.text},
  fanout_done integer NOT NULL DEFAULT 0,
  fanned_out ${t.big} NOT NULL DEFAULT 0,
  created_at ${t.big} NOT NULL,
  updated_at ${t.big} NOT NULL,
  started_at ${t.big},
  finished_at ${t.big}
);
CREATE INDEX campaigns_state ON campaigns (state, start_at);
`;

export const migration: Migration = {
  version: 4,
  name: 'campaigns',
  sqlite: tables({ text: 'TEXT', big: 'INTEGER' }),
  postgres: tables({ text: 'text', big: 'bigint' }),
};
