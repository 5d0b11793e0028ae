/**
 * BullMQ, the queue most Node users would pick instead of Herald (Redis; not durable by default:
 * Redis acknowledges before its AOF/RDB reaches the disk). Started by bench/run.ts:
 *
 *   node bench/peers/bullmq.ts ingest <port> <queue>                     Fastify + Queue.add
 *   node bench/peers/bullmq.ts deliver <sinkUrl> <queue> <n> <concurrency>
 *        preloads n jobs (addBulk), then a Worker with that concurrency POSTs each to the sink
 *   node bench/peers/bullmq.ts serve <port> <queue> <concurrency>        both in one process
 *
 * Redis: BENCH_REDIS_URL (default redis://127.0.0.1:6379). On SIGTERM the queue is obliterated.
 */
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { deliverer, deliveryJobs, ingestApp, onStop, runPeer, type WebhookJob } from './common.ts';

const redis = new URL(process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379');
const connection: ConnectionOptions = { host: redis.hostname, port: Number(redis.port || 6379) };

async function cleanup(queue: Queue, worker?: Worker): Promise<void> {
  await worker?.close();
  await queue.obliterate({ force: true });
  await queue.close();
}

function startWorker(name: string, concurrency: number): { worker: Worker; close(): Promise<void> } {
  const out = deliverer(concurrency);
  const worker = new Worker<WebhookJob>(name, (job) => out.deliver(job.data), { connection, concurrency });
  worker.on('failed', (_job, err) => console.error(`bullmq: a delivery failed: ${err.message}`));
  return { worker, close: () => out.close() };
}

async function ingest(port: number, name: string, concurrency?: number): Promise<void> {
  const queue = new Queue<WebhookJob>(name, { connection });
  const app = ingestApp({
    add: async (job) => (await queue.add('message', job)).id,
    addMany: (jobs) => queue.addBulk(jobs.map((data) => ({ name: 'message', data }))),
  });
  const w = concurrency ? startWorker(name, concurrency) : undefined;
  await app.listen({ port, host: '127.0.0.1' });
  onStop(async () => {
    await app.close();
    await cleanup(queue, w?.worker);
    await w?.close();
  });
  process.stdout.write('ready\n');
}

async function deliver(sinkUrl: string, name: string, n: number, concurrency: number): Promise<void> {
  const queue = new Queue<WebhookJob>(name, { connection });
  for (let i = 0; i < n; i += 1000)
    await queue.addBulk(deliveryJobs(sinkUrl, i, Math.min(n, i + 1000)).map((data) => ({ name: 'message', data })));
  const w = startWorker(name, concurrency);
  onStop(async () => {
    await cleanup(queue, w.worker);
    await w.close();
  });
  process.stdout.write('ready\n');
}

await runPeer('bullmq.ts', 'queue', { ingest, deliver });
