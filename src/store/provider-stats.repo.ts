import { sql, type Kysely } from 'kysely';
import { LATENCY_BUCKETS_MS } from './migrations/0002-providers.ts';
import type { Database, ProviderStatsTable } from './schema.ts';

export { LATENCY_BUCKETS_MS };

/** Provider calls of one provider in one minute, or summed over a window. */
export interface CallAggregate {
  calls: number;
  messages: number;
  ok: number;
  transient: number;
  permanent: number;
  latencyMsSum: number;
  /** Calls per latency bucket (LATENCY_BUCKETS_MS). */
  latency: number[];
}

export function emptyAggregate(): CallAggregate {
  return {
    calls: 0,
    messages: 0,
    ok: 0,
    transient: 0,
    permanent: 0,
    latencyMsSum: 0,
    latency: LATENCY_BUCKETS_MS.map(() => 0),
  };
}

const LAT_COLUMNS = LATENCY_BUCKETS_MS.map((_, i) => `lat_${i}` as `lat_${0}`);
const SUM_COLUMNS = ['calls', 'messages', 'ok', 'transient', 'permanent', 'latency_ms_sum', ...LAT_COLUMNS] as const;

/**
 * provider_stats (migration 0002): one row per provider and minute. Writers add their deltas
 * (INSERT … ON CONFLICT DO UPDATE SET col = col + excluded.col), so any number of processes can
 * flush into the same rows without reading them first.
 */
export class KyselyProviderStatsRepo {
  private readonly db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  /** Adds deltas, one row per (provider, minute), in one statement. */
  async add(rows: readonly { provider: string; minute: number; agg: CallAggregate }[]): Promise<void> {
    if (rows.length === 0) return;
    const values = rows.map(({ provider, minute, agg }) => {
      const v: Record<string, string | number> = {
        provider,
        minute,
        calls: agg.calls,
        messages: agg.messages,
        ok: agg.ok,
        transient: agg.transient,
        permanent: agg.permanent,
        latency_ms_sum: Math.round(agg.latencyMsSum),
      };
      agg.latency.forEach((n, i) => (v[`lat_${i}`] = n));
      return v as unknown as ProviderStatsTable;
    });
    await this.db
      .insertInto('provider_stats')
      .values(values)
      .onConflict((oc) =>
        oc
          .columns(['provider', 'minute'])
          .doUpdateSet(
            Object.fromEntries(
              SUM_COLUMNS.map((c) => [c, sql<number>`provider_stats.${sql.ref(c)} + excluded.${sql.ref(c)}`]),
            ),
          ),
      )
      .execute();
  }

  /** Sums per provider over minutes ≥ `sinceMinute`. */
  async sumSince(sinceMinute: number): Promise<Map<string, CallAggregate>> {
    const rows = await this.db
      .selectFrom('provider_stats')
      .select((eb) => ['provider', ...SUM_COLUMNS.map((c) => eb.fn.sum<number>(c).as(c))])
      .where('minute', '>=', sinceMinute)
      .groupBy('provider')
      .execute();
    const out = new Map<string, CallAggregate>();
    for (const r of rows as unknown as Record<string, number | string>[]) {
      out.set(String(r.provider), {
        calls: Number(r.calls),
        messages: Number(r.messages),
        ok: Number(r.ok),
        transient: Number(r.transient),
        permanent: Number(r.permanent),
        latencyMsSum: Number(r.latency_ms_sum),
        latency: LAT_COLUMNS.map((c) => Number(r[c])),
      });
    }
    return out;
  }

  /** Drops minutes before `beforeMinute` (retention). Returns how many rows. */
  async prune(beforeMinute: number): Promise<number> {
    const r = await this.db.deleteFrom('provider_stats').where('minute', '<', beforeMinute).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
