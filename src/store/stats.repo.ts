import { sql, type Kysely, type RawBuilder } from 'kysely';
import { DELIVERY_LATENCY_BUCKETS_MS } from './migrations/0005-stats.ts';
import type { Database, StatsMinuteTable } from './schema.ts';
import type { Capabilities } from './capabilities.ts';

/** Counters of one (minute, channel, provider) cell, as added by a flush. */
export interface StatsDelta {
  minute: number;
  channel: string;
  provider: string;
  accepted: number;
  sent: number;
  delivered: number;
  failed: number;
  retried: number;
  latencyMsSum: number;
  /** Counts per DELIVERY_LATENCY_BUCKETS_MS bucket (same length). */
  latency: number[];
}

export const COUNTERS = ['accepted', 'sent', 'delivered', 'failed', 'retried'] as const;
export type Counter = (typeof COUNTERS)[number];
export type Counts = Record<Counter, number>;

/** One bucket of a time series for one key (channel, provider, or 'all'). */
export interface SeriesRow extends Counts {
  t: number;
  key: string;
}

/** Totals of a window for one channel/provider pair, with the latency histogram. */
export interface TotalsRow extends Counts {
  channel: string;
  provider: string;
  latencyMsSum: number;
  latency: number[];
}

type LatCol = Extract<keyof StatsMinuteTable, `lat_${string}`>;
const LAT_COLS = DELIVERY_LATENCY_BUCKETS_MS.map((_, i) => `lat_${i}` as LatCol);
/** Columns per row in the upsert: minute, channel, provider, five counters, sum, buckets. */
const COLS_PER_ROW = 9 + LAT_COLS.length;

/** ON CONFLICT: add the new row's counts to the stored ones (column = stats_minute.column + excluded.column). */
const ADD_EXCLUDED = Object.fromEntries(
  [...COUNTERS, 'latency_ms_sum', ...LAT_COLS].map((c) => [
    c,
    sql<number>`${sql.ref(`stats_minute.${c}`)} + ${sql.ref(`excluded.${c}`)}`,
  ]),
) as Record<Counter | 'latency_ms_sum' | LatCol, RawBuilder<number>>;

/**
 * Pre-aggregated message statistics (table `stats_minute`, migration 0005). Reads touch only this
 * table, whose size grows with minutes × channels × providers, never with messages.
 */
export class StatsRepo {
  private readonly db: Kysely<Database>;
  private readonly maxParams: number;

  constructor(db: Kysely<Database>, caps: Capabilities) {
    this.db = db;
    this.maxParams = caps.maxParams;
  }

  /** Adds the deltas to their rows in one statement per chunk (an upsert: writers never conflict). */
  async add(deltas: readonly StatsDelta[]): Promise<void> {
    const per = Math.max(1, Math.floor(this.maxParams / COLS_PER_ROW));
    for (let i = 0; i < deltas.length; i += per) {
      const rows = deltas.slice(i, i + per).map((d) => {
        const row: Database['stats_minute'] = {
          minute: d.minute,
          channel: d.channel,
          provider: d.provider,
          accepted: d.accepted,
          sent: d.sent,
          delivered: d.delivered,
          failed: d.failed,
          retried: d.retried,
          latency_ms_sum: d.latencyMsSum,
          ...(Object.fromEntries(LAT_COLS.map((c, j) => [c, d.latency[j] ?? 0])) as Record<LatCol, number>),
        };
        return row;
      });
      await this.db
        .insertInto('stats_minute')
        .values(rows)
        .onConflict((oc) => oc.columns(['minute', 'channel', 'provider']).doUpdateSet(ADD_EXCLUDED))
        .execute();
    }
  }

  /**
   * Counters summed per bucket (`bucketMs`: 60 000 or 3 600 000, aligned to UTC) and key, for
   * minutes in [since, until). Only buckets with data come back; the caller fills the gaps.
   */
  async series(
    since: number,
    until: number,
    bucketMs: number,
    by: 'channel' | 'provider' | 'all',
  ): Promise<SeriesRow[]> {
    const t = sql<number>`minute - (minute % ${sql.lit(Math.trunc(bucketMs))})`;
    const key = by === 'all' ? sql<string>`'all'` : sql<string>`${sql.ref(by)}`;
    const rows = await this.db
      .selectFrom('stats_minute')
      .select((eb) => [t.as('t'), key.as('key'), ...COUNTERS.map((c) => eb.fn.sum<number>(c).as(c))])
      .where('minute', '>=', since)
      .where('minute', '<', until)
      .groupBy(['t', 'key'])
      .orderBy('t')
      .execute();
    return rows.map((r) => ({
      t: Number(r.t),
      key: String(r.key),
      ...(Object.fromEntries(COUNTERS.map((c) => [c, Number(r[c])])) as Counts),
    }));
  }

  /** Totals per channel and provider for minutes in [since, until), with latency histograms. */
  async totals(since: number, until: number): Promise<TotalsRow[]> {
    const rows = await this.db
      .selectFrom('stats_minute')
      .select((eb) => [
        'channel',
        'provider',
        ...COUNTERS.map((c) => eb.fn.sum<number>(c).as(c)),
        eb.fn.sum<number>('latency_ms_sum').as('latency_ms_sum'),
        ...LAT_COLS.map((c) => eb.fn.sum<number>(c).as(c)),
      ])
      .where('minute', '>=', since)
      .where('minute', '<', until)
      .groupBy(['channel', 'provider'])
      .orderBy('channel')
      .orderBy('provider')
      .execute();
    return rows.map((r) => ({
      channel: r.channel,
      provider: r.provider,
      ...(Object.fromEntries(COUNTERS.map((c) => [c, Number(r[c])])) as Counts),
      latencyMsSum: Number(r.latency_ms_sum),
      latency: LAT_COLS.map((c) => Number((r as Record<string, unknown>)[c])),
    }));
  }

  /** Open-state depth, each counted on the (state, id) index: cost follows the open work, not the table. */
  async openDepth(states: readonly string[]): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const s of states) {
      const r = await this.db
        .selectFrom('messages')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('state', '=', s)
        .executeTakeFirst();
      out[s] = Number(r?.n ?? 0);
    }
    return out;
  }

  /** Deletes minutes older than `before` (retention). Returns how many rows went. */
  async prune(before: number): Promise<number> {
    const r = await this.db.deleteFrom('stats_minute').where('minute', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
