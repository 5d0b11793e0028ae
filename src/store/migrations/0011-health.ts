import type { Migration } from './index.ts';

/**
 * One row that readiness (`/readyz`) writes to prove the database takes writes: a database that
 * answers reads can still refuse every write (full disk, read-only).
 */
const table = (t: { int: string; big: string }) => `
CREATE TABLE herald_health (
  id ${t.int} PRIMARY KEY,
  checked_at ${t.big} NOT NULL
);
`;

export const migration: Migration = {
  version: 11,
  name: 'health',
  sqlite: table({ int: 'INTEGER', big: 'INTEGER' }),
  postgres: table({ int: 'integer', big: 'bigint' }),
};
