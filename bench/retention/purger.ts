/**
 * The purge side of bench/retention.ts, in a process of its own (as a `herald worker` runs it):
 * `node bench/retention/purger.ts <DATABASE_URL> seed <rows>` stores `rows` final messages created
 * 40 days ago (through the store's own insert, in batches of 1000) and exits; `… purge` runs
 * Herald's RetentionJob with its defaults (batches of 500, 10% share) until SIGTERM or the end, then
 * prints `{"messages":…,"ms":…}` on stdout. Ids are time-ordered and never go backwards within a
 * process: seeding happens in a process of its own so that the back-dated ids stay back-dated.
 */
import pino from 'pino';
import { systemClock } from '../../src/domain/clock.ts';
import { createMetrics } from '../../src/metrics.ts';
import { RetentionJob } from '../../src/services/retention.ts';
import { openStore } from '../../src/store/open-store.ts';

const [url, mode, rowsArg] = process.argv.slice(2);
if (!url || (mode !== 'seed' && mode !== 'purge')) {
  console.error('usage: purger.ts <DATABASE_URL> seed <rows> | purge');
  process.exit(2);
}
const store = await openStore({ url });
await store.migrate();
const DAY = 86_400_000;

if (mode === 'seed') {
  const rows = Number(rowsArg ?? 1_000_000);
  const at = Date.now() - 40 * DAY;
  for (let i = 0; i < rows; i += 1000) {
    const n = Math.min(1000, rows - i);
    await store.messages.insertMany(
      Array.from({ length: n }, (_, k) => ({
        channel: 'webhook' as const,
        recipient: `http://127.0.0.1:9/old/${i + k}`,
        payload: { method: 'POST' as const, url: `http://127.0.0.1:9/old/${i + k}`, body: { order: i + k } },
        priority: 0,
        categories: 0,
        lane: 'webhook:http://127.0.0.1:9',
        dueAt: at,
        maxAttempts: 3,
        state: 'delivered' as const,
      })),
      at + Math.floor(i / 1000),
    );
  }
  console.log(JSON.stringify({ seeded: rows }));
  await store.close();
  process.exit(0);
}

const job = new RetentionJob({
  store,
  clock: systemClock,
  logger: pino({ level: 'silent' }),
  metrics: createMetrics(),
  policy: { days: 30, channels: {} },
});
const t0 = performance.now();
let done = false;
const finish = async () => {
  if (done) return;
  done = true;
  const stopping = job.stop();
  const counts = await run;
  await stopping;
  console.log(JSON.stringify({ ...counts, ms: Math.round(performance.now() - t0) }));
  await store.close();
  process.exit(0);
};
process.on('SIGTERM', () => void finish());
console.log('ready');
const run = job.runOnce();
await run;
await finish();
