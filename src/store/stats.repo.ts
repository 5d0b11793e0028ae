import { sql, type Kysely, type RawBuilder } from 'kysely';
import { DELIVERY_LATENCY_BUCKETS_MS } from './migrations/0005-stats.ts';
import type { Database, StatsMinuteTable } from './schema.ts';
import type { Capabilities } from './capabilities.ts';
import { FINAL_STATES, MESSAGE_STATES } from '../domain/states.ts';

/** States a message can still leave: what "queue depth" counts. */
export const OPEN_STATES = MESSAGE_STATES.filter((s) => !FINAL_STATES.has(s));

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
  /** SMS parts of the accepted messages (cost proxy). */
  segments: number;
  latencyMsSum: number;
  /** Counts per DELIVERY_LATENCY_BUCKETS_MS bucket (same length). */
  latency: number[];
}

export const COUNTERS = ['accepted', 'sent', 'delivered', 'failed', 'retried', 'segments'] as const;
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

type Table = 'stats_minute' | 'stats_hour';
type LatCol = Extract<keyof StatsMinuteTable, `lat_${string}`>;
type SumCol = Counter | 'latency_ms_sum' | LatCol;
const LAT_COLS = DELIVERY_LATENCY_BUCKETS_MS.map((_, i) => `lat_${i}` as LatCol);
const SUM_COLS: readonly SumCol[] = [...COUNTERS, 'latency_ms_sum', ...LAT_COLS];
/** Columns per row in the upsert: minute, channel, provider, and the summed columns. */
const COLS_PER_ROW = 3 + SUM_COLS.length;
export const MINUTE_MS = 60_000;
/** Counter rows per state above which queueDepth folds the rows of gone backends (PostgreSQL). */
const FOLD_ABOVE = 32;
export const HOUR_MS = 3_600_000;

/** ON CONFLICT: add the new row's counts to the stored ones (column = table.column + excluded.column). */
function addExcluded(table: Table): Record<SumCol, RawBuilder<number>> {
  return Object.fromEntries(
    SUM_COLS.map((c) => [c, sql<number>`${sql.ref(`${table}.${c}`)} + ${sql.ref(`excluded.${c}`)}`]),
  ) as Record<SumCol, RawBuilder<number>>;
}
const ADD_EXCLUDED = { stats_minute: addExcluded('stats_minute'), stats_hour: addExcluded('stats_hour') };

function rowOf(d: StatsDelta, minute: number): StatsMinuteTable {
  return {
    minute,
    channel: d.channel,
    provider: d.provider,
    accepted: d.accepted,
    sent: d.sent,
    delivered: d.delivered,
    failed: d.failed,
    retried: d.retried,
    segments: d.segments,
    latency_ms_sum: d.latencyMsSum,
    ...(Object.fromEntries(LAT_COLS.map((c, j) => [c, d.latency[j] ?? 0])) as Record<LatCol, number>),
  };
}

/** The same cells summed per hour (the rollup written beside the minutes). */
function byHour(deltas: readonly StatsDelta[]): StatsMinuteTable[] {
  const out = new Map<string, StatsMinuteTable>();
  for (const d of deltas) {
    const hour = d.minute - (d.minute % HOUR_MS);
    const key = `${hour}\u0000${d.channel}\u0000${d.provider}`;
    const row = rowOf(d, hour);
    const have = out.get(key);
    if (!have) out.set(key, row);
    else for (const c of SUM_COLS) have[c] += row[c];
  }
  return [...out.values()];
}

/**
 * Pre-aggregated message statistics (tables `stats_minute` and `stats_hour`, migration 0005).
 * Reads touch only these tables, whose size grows with time × channels × providers, never with
 * messages: the last hour by minute reads ≤ 60 rows per channel/provider, a week by hour ≤ 168.
 */
export class StatsRepo {
  private readonly db: Kysely<Database>;
  private readonly maxParams: number;
  /** PostgreSQL keeps one counter row per writing backend (migration 0013). */
  private readonly foldsSlots: boolean;

  constructor(db: Kysely<Database>, caps: Capabilities) {
    this.db = db;
    this.maxParams = caps.maxParams;
    this.foldsSlots = caps.skipLocked;
  }

  /**
   * Adds the deltas to their minute rows and to the hour rollup, in one transaction (upserts:
   * concurrent writers never conflict; a failed flush adds nothing and can be retried whole).
   */
  async add(deltas: readonly StatsDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    const minutes = deltas.map((d) => rowOf(d, d.minute));
    const hours = byHour(deltas);
    const run = async (db: Kysely<Database>) => {
      await this.upsert(db, 'stats_minute', minutes);
      await this.upsert(db, 'stats_hour', hours);
    };
    await (this.db.isTransaction ? run(this.db) : this.db.transaction().execute(run));
  }

  private async upsert(db: Kysely<Database>, table: Table, rows: StatsMinuteTable[]): Promise<void> {
    const per = Math.max(1, Math.floor(this.maxParams / COLS_PER_ROW));
    for (let i = 0; i < rows.length; i += per) {
      await db
        .insertInto(table)
        .values(rows.slice(i, i + per))
        .onConflict((oc) => oc.columns(['minute', 'channel', 'provider']).doUpdateSet(ADD_EXCLUDED[table]))
        .execute();
    }
  }

  /**
   * Counters summed per bucket (`bucketMs`: MINUTE_MS or HOUR_MS, aligned to UTC) and key, for
   * buckets starting in [since, until). Hours read the rollup. Only buckets with data come back.
   */
  async series(
    since: number,
    until: number,
    bucketMs: number,
    by: 'channel' | 'provider' | 'all',
  ): Promise<SeriesRow[]> {
    const table: Table = bucketMs >= HOUR_MS ? 'stats_hour' : 'stats_minute';
    const t = sql<number>`minute - (minute % ${sql.lit(Math.trunc(bucketMs))})`;
    const key = by === 'all' ? sql<string>`'all'` : sql<string>`${sql.ref(by)}`;
    const rows = await this.db
      .selectFrom(table)
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

  /**
   * Totals per channel and provider for minutes in [since, until), with latency histograms.
   * Whole hours inside the window come from the rollup, the ragged ends from the minutes.
   */
  async totals(since: number, until: number): Promise<TotalsRow[]> {
    const h0 = Math.ceil(since / HOUR_MS) * HOUR_MS;
    const h1 = Math.floor(until / HOUR_MS) * HOUR_MS;
    const parts =
      h1 - h0 >= HOUR_MS
        ? await Promise.all([
            this.sums('stats_minute', since, h0),
            this.sums('stats_hour', h0, h1),
            this.sums('stats_minute', h1, until),
          ])
        : [await this.sums('stats_minute', since, until)];
    const out = new Map<string, TotalsRow>();
    for (const r of parts.flat()) {
      const k = `${r.channel}\u0000${r.provider}`;
      const have = out.get(k);
      if (!have) {
        out.set(k, r);
        continue;
      }
      for (const c of COUNTERS) have[c] += r[c];
      have.latencyMsSum += r.latencyMsSum;
      r.latency.forEach((n, i) => (have.latency[i]! += n));
    }
    return [...out.values()].sort((a, b) => a.channel.localeCompare(b.channel) || a.provider.localeCompare(b.provider));
  }

  private async sums(table: Table, since: number, until: number): Promise<TotalsRow[]> {
    if (since >= until) return [];
    const rows = await this.db
      .selectFrom(table)
      .select((eb) => ['channel', 'provider', ...SUM_COLS.map((c) => eb.fn.sum<number>(c).as(c))])
      .where('minute', '>=', since)
      .where('minute', '<', until)
      .groupBy(['channel', 'provider'])
      .execute();
    return rows.map((r) => {
      const get = (c: SumCol) => Number((r as Record<string, unknown>)[c] ?? 0);
      return {
        channel: r.channel,
        provider: r.provider,
        ...(Object.fromEntries(COUNTERS.map((c) => [c, get(c)])) as Counts),
        latencyMsSum: get('latency_ms_sum'),
        latency: LAT_COLS.map(get),
      };
    });
  }

  /**
   * Messages in each non-final state (queued, sending, sent), zeros included: the one source of
   * queue depth (dashboard and herald_queue_depth). Read from the trigger-kept counters of
   * migration 0013 (a few rows, whatever the backlog); PostgreSQL folds the rows of backends that
   * are gone into slot 0 when there are many.
   */
  async queueDepth(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('message_depth')
      .select(['state', (eb) => eb.fn.sum<number>('n').as('n'), (eb) => eb.fn.countAll<number>().as('rows')])
      .groupBy('state')
      .execute();
    const out: Record<string, number> = Object.fromEntries(OPEN_STATES.map((s) => [s, 0]));
    for (const r of rows) if (r.state in out) out[r.state] = Number(r.n);
    if (this.foldsSlots && rows.some((r) => Number(r.rows) > FOLD_ABOVE)) await this.foldSlots();
    return out;
  }

  /*
   * foldSlots — PostgreSQL: adds the counter rows of backends no longer connected into slot 0 and
   * deletes them, in one statement (a live backend's row is left alone; a second folder waits for
   * the first and then finds nothing to fold). Only the sum per state matters, so it is unchanged.
   */
  private async foldSlots(): Promise<void> {
    await sql`
      WITH gone AS (
        DELETE FROM message_depth
        WHERE slot <> 0 AND slot NOT IN (SELECT pid FROM pg_stat_activity)
        RETURNING state, n
      )
      INSERT INTO message_depth AS d (state, slot, n)
        SELECT state, 0, sum(n) FROM gone GROUP BY state ORDER BY state
      ON CONFLICT (state, slot) DO UPDATE SET n = d.n + excluded.n`.execute(this.db);
  }

  /** Deletes minutes before `minutesBefore` and hours before `hoursBefore` (retention). Returns rows gone. */
  async prune(minutesBefore: number, hoursBefore = minutesBefore): Promise<number> {
    const m = await this.db.deleteFrom('stats_minute').where('minute', '<', minutesBefore).executeTakeFirst();
    const h = await this.db
      .deleteFrom('stats_hour')
      .where('minute', '<', hoursBefore - (hoursBefore % HOUR_MS))
      .executeTakeFirst();
    return Number(m.numDeletedRows) + Number(h.numDeletedRows);
  }
}
