/**
 * pg-boss, the PostgreSQL job queue a Node user would pick instead of Herald, on the same
 * PostgreSQL, in a fresh schema of its own (dropped by bench/run.ts afterwards). Started by bench/run.ts:
 *
 *   node bench/peers/pgboss.ts ingest <port> <schema>                      Fastify + boss.send
 *   node bench/peers/pgboss.ts deliver <sinkUrl> <schema> <n> <inFlight>
 *        preloads n jobs (boss.insert), then boss.work POSTs each to the sink, <inFlight> at a time
 *   node bench/peers/pgboss.ts serve <port> <schema> <inFlight>             both in one process
 *
 * The worker: BENCH_PGBOSS_WORKERS pollers (localConcurrency, default 4), each fetching batches of
 * <inFlight>/workers jobs and delivering a batch at once, so <inFlight> requests are in flight; it
 * fetches again at once while batches come back full (burstWhenBatchFull), else polls every 0.5 s
 * (pg-boss's floor). PostgreSQL: HERALD_TEST_PG (default postgres://postgres@127.0.0.1:5432/test).
 */
import { PgBoss } from 'pg-boss';
import { deliverer, deliveryJobs, ingestApp, onStop, runPeer, type WebhookJob } from './common.ts';

const PG_URL = process.env.HERALD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const QUEUE = 'messages';
const WORKERS = Number(process.env.BENCH_PGBOSS_WORKERS ?? 4);

async function open(schema: string): Promise<PgBoss> {
  const boss = new PgBoss({ connectionString: PG_URL, schema, application_name: `herald-bench-${schema}` });
  boss.on('error', (err: Error) => console.error(`pg-boss: ${err.message}`));
  await boss.start();
  await boss.createQueue(QUEUE);
  return boss;
}

async function work(boss: PgBoss, inFlight: number): Promise<() => Promise<void>> {
  const out = deliverer(inFlight);
  await boss.work<WebhookJob>(
    QUEUE,
    {
      localConcurrency: WORKERS,
      batchSize: Math.max(1, Math.floor(inFlight / WORKERS)),
      pollingIntervalSeconds: 0.5,
      burstWhenBatchFull: true,
    },
    async (jobs) => {
      await Promise.all(jobs.map((job) => out.deliver(job.data)));
    },
  );
  return () => out.close();
}

async function ingest(port: number, schema: string, inFlight?: number): Promise<void> {
  const boss = await open(schema);
  const app = ingestApp({
    add: (job) => boss.send(QUEUE, job),
    addMany: (jobs) =>
      boss.insert(
        QUEUE,
        jobs.map((data) => ({ data })),
      ),
  });
  const closeWorker = inFlight ? await work(boss, inFlight) : undefined;
  await app.listen({ port, host: '127.0.0.1' });
  onStop(async () => {
    await app.close();
    await boss.stop({ graceful: true, timeout: 10_000 });
    await closeWorker?.();
  });
  process.stdout.write('ready\n');
}

async function deliver(sinkUrl: string, schema: string, n: number, inFlight: number): Promise<void> {
  const boss = await open(schema);
  for (let i = 0; i < n; i += 1000)
    await boss.insert(
      QUEUE,
      deliveryJobs(sinkUrl, i, Math.min(n, i + 1000)).map((data) => ({ data })),
    );
  const closeWorker = await work(boss, inFlight);
  onStop(async () => {
    await boss.stop({ graceful: true, timeout: 10_000 });
    await closeWorker();
  });
  process.stdout.write('ready\n');
}

await runPeer('pgboss.ts', 'schema', { ingest, deliver });
