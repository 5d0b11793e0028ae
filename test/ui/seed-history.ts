import type { StatsDelta } from '../../src/store/stats.repo.ts';
import { DELIVERY_LATENCY_BUCKETS_MS } from '../../src/store/migrations/0005-stats.ts';
import type { Store } from '../../src/store/store.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const LANES = [
  { channel: 'email', provider: 'outbox-email', scale: 1 },
  { channel: 'sms', provider: 'bulk-sms', scale: 1.6 },
  { channel: 'webhook', provider: 'webhook', scale: 0.7 },
];

/**
 * Writes synthetic per-minute counters for the past week into stats_minute (never into messages),
 * so the dashboard's charts in the screenshots show a realistic daily rhythm. Deterministic.
 */
export async function seedHistory(store: Store, now: number): Promise<void> {
  const deltas: StatsDelta[] = [];
  const thisMinute = now - (now % MINUTE);
  const add = (minute: number, volume: number, seed: number) => {
    for (const [i, l] of LANES.entries()) {
      const accepted = Math.max(0, Math.round(volume * l.scale * (0.85 + 0.3 * frac(seed * 7 + i))));
      const failed = Math.round(accepted * 0.02 * frac(seed * 13 + i));
      const retried = Math.round(accepted * 0.05 * frac(seed * 3 + i));
      const delivered = accepted - failed;
      const latency = DELIVERY_LATENCY_BUCKETS_MS.map((_, b) =>
        b < 5 ? Math.round(delivered * [0.35, 0.3, 0.2, 0.1, 0.05][b]!) : 0,
      );
      deltas.push({
        minute,
        channel: l.channel,
        provider: l.provider,
        accepted,
        sent: 0,
        delivered,
        failed,
        retried,
        segments: l.channel === 'sms' ? Math.round(accepted * 1.3) : 0,
        latencyMsSum: delivered * 380,
        latency,
      });
    }
  };
  // The last hour, minute by minute (stopping before the current minute, which the test fills for real).
  for (let m = 60; m >= 1; m--) add(thisMinute - m * MINUTE, 6 + 4 * Math.sin(m / 9), m);
  // The week before, one minute per hour carrying that hour's volume (a daily curve).
  for (let h = 7 * 24; h >= 2; h--) {
    const t = thisMinute - h * HOUR;
    const hourOfDay = new Date(t).getUTCHours();
    add(t, 120 + 300 * Math.max(0, Math.sin(((hourOfDay - 6) / 24) * 2 * Math.PI)), h);
  }
  await store.stats.add(deltas);
}

function frac(x: number): number {
  const s = Math.sin(x) * 10_000;
  return s - Math.floor(s);
}
