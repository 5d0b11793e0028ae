import type { Migration } from './index.ts';

/**
 * Upper bounds (ms) of the delivery-latency buckets of `stats_minute`: column lat_i counts messages
 * handed over to their provider ≤ bound i after they were accepted (the last is unbounded). Part of
 * this migration's schema: never change it, add a migration instead.
 */
export const DELIVERY_LATENCY_BUCKETS_MS = [
  100,
  250,
  500,
  1000,
  2500,
  5000,
  10_000,
  30_000,
  60_000,
  300_000,
  900_000,
  3_600_000,
  Infinity,
] as const;

/**
 * Pre-aggregated message counters per minute, channel and provider (the dashboard's statistics
 * API reads these, never the messages table), and the same per hour (stats_hour: `minute` is the
 * hour's first minute), so a week by hour reads 168 rows per series, not 10 080. Writers add to
 * rows with upserts, so any number of processes can flush into the same minute and hour.
 */
const table = (name: string, t: { text: string; big: string }) => `
CREATE TABLE ${name} (
  minute ${t.big} NOT NULL,
  channel ${t.text} NOT NULL,
  provider ${t.text} NOT NULL,
  accepted integer NOT NULL DEFAULT 0,
  sent integer NOT NULL DEFAULT 0,
  delivered integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  retried integer NOT NULL DEFAULT 0,
  latency_ms_sum ${t.big} NOT NULL DEFAULT 0,
${DELIVERY_LATENCY_BUCKETS_MS.map((_, i) => `  lat_${i} integer NOT NULL DEFAULT 0,`).join('\n')}
  PRIMARY KEY (minute, channel, provider)
);
`;
const tables = (t: { text: string; big: string }) => table('stats_minute', t) + table('stats_hour', t);

export const migration: Migration = {
  version: 5,
  name: 'stats',
  sqlite: tables({ text: 'TEXT', big: 'INTEGER' }),
  postgres: tables({ text: 'text', big: 'bigint' }),
};
