import type { Migration } from './index.ts';

/**
 * Per-recipient policy (issue 4): opt-out category flags (postmaster's UpdatePrefs) and the
 * suppression list (hard bounces, spam reports, manual entries). Both are keyed by the normalised
 * recipient (e-mail lowercased, phone without spaces) so one lookup per ingest group serves all.
 */
const tables = (t: { text: string; big: string }) => `
CREATE TABLE preferences (
  recipient ${t.text} PRIMARY KEY,
  opt_out ${t.big} NOT NULL,
  updated_at ${t.big} NOT NULL
);

CREATE TABLE suppressions (
  recipient ${t.text} PRIMARY KEY,
  reason ${t.text},
  source ${t.text} NOT NULL,
  created_at ${t.big} NOT NULL
);
CREATE INDEX suppressions_created ON suppressions (created_at, recipient);
`;

export const migration: Migration = {
  version: 3,
  name: 'recipients',
  sqlite: tables({ text: 'TEXT', big: 'INTEGER' }),
  postgres: tables({ text: 'text', big: 'bigint' }),
};
