import type { Migration } from './index.ts';

/**
 * The outbox (Herald's own development mail catcher: what the `outbox` provider "delivers") and
 * per-minute provider call aggregates (GET /v1/providers). Latency is kept as bucket counts, one
 * column per bucket, so concurrent writers merge with plain additions.
 */
/**
 * Upper bounds (ms) of the latency buckets: column lat_i counts calls that took ≤ bound i (the last
 * is unbounded). Part of this migration's schema: never change it, add a migration instead.
 */
export const LATENCY_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, Infinity] as const;

const tables = (t: { text: string; big: string }) => `
CREATE TABLE outbox (
  id ${t.text} PRIMARY KEY,
  channel ${t.text} NOT NULL,
  provider ${t.text} NOT NULL,
  recipient ${t.text} NOT NULL,
  sender ${t.text},
  subject ${t.text},
  body_text ${t.text},
  body_html ${t.text},
  metadata ${t.text},
  created_at ${t.big} NOT NULL
);
CREATE INDEX outbox_channel ON outbox (channel, id);
CREATE INDEX outbox_recipient ON outbox (recipient, id);

CREATE TABLE provider_stats (
  provider ${t.text} NOT NULL,
  minute ${t.big} NOT NULL,
  calls integer NOT NULL DEFAULT 0,
  messages integer NOT NULL DEFAULT 0,
  ok integer NOT NULL DEFAULT 0,
  transient integer NOT NULL DEFAULT 0,
  permanent integer NOT NULL DEFAULT 0,
  latency_ms_sum ${t.big} NOT NULL DEFAULT 0,
${LATENCY_BUCKETS_MS.map((_, i) => `  lat_${i} integer NOT NULL DEFAULT 0,`).join('\n')}
  PRIMARY KEY (provider, minute)
);
CREATE INDEX provider_stats_minute ON provider_stats (minute);
`;

export const migration: Migration = {
  version: 2,
  name: 'providers',
  sqlite: tables({ text: 'TEXT', big: 'INTEGER' }),
  postgres: tables({ text: 'text', big: 'bigint' }),
};
