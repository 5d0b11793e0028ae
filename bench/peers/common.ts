/**
 * What the two peer queues (BullMQ, pg-boss) share in the benchmark, so that they differ from each
 * other and from Herald only in the queue: the same Fastify ingest routes with a JSON schema (as a
 * user's service in front of a queue would have), and the same keep-alive undici delivery.
 * Fastify and undici resolve from Herald's own node_modules: the versions Herald runs on.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Agent, request } from 'undici';

/** A webhook message as the benchmark POSTs it (Herald's /v1/messages body). */
export interface WebhookJob {
  channel?: string;
  url: string;
  body: unknown;
}

const messageSchema = {
  type: 'object',
  required: ['url', 'body'],
  properties: {
    channel: { type: 'string', enum: ['webhook'] },
    url: { type: 'string', minLength: 1, maxLength: 2048 },
    body: { type: 'object' },
  },
} as const;

/** POST /v1/messages (one job, 202 {id}) and POST /v1/messages/batch (up to 1000, 202 {ids}). */
export function ingestApp(queue: {
  add(job: WebhookJob): Promise<string | null | undefined>;
  addMany(jobs: WebhookJob[]): Promise<unknown>;
}): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 5 * 1024 * 1024 });
  app.get('/healthz', async () => ({ ok: true }));
  app.post<{ Body: WebhookJob }>('/v1/messages', { schema: { body: messageSchema } }, async (req, reply) => {
    const id = await queue.add(req.body);
    return reply.code(202).send({ id, state: 'queued' });
  });
  app.post<{ Body: { messages: WebhookJob[] } }>(
    '/v1/messages/batch',
    {
      schema: {
        body: {
          type: 'object',
          required: ['messages'],
          properties: { messages: { type: 'array', minItems: 1, maxItems: 1000, items: messageSchema } },
        },
      },
    },
    async (req, reply) => {
      await queue.addMany(req.body.messages);
      return reply.code(202).send({ accepted: req.body.messages.length });
    },
  );
  return app;
}

/** POSTs a job's body to its URL on a keep-alive Agent; a non-2xx answer throws (the queue retries). */
export function deliverer(connections: number): { deliver(job: WebhookJob): Promise<void>; close(): Promise<void> } {
  const agent = new Agent({ connections, keepAliveTimeout: 60_000 });
  return {
    async deliver(job) {
      const res = await request(job.url, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(job.body),
      });
      await res.body.dump();
      if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}`);
    },
    close: () => agent.close(),
  };
}

/** The jobs the delivery benchmark preloads: n POSTs to the sink, as bench/servers.ts's undici loop sends. */
export function deliveryJobs(sinkUrl: string, from: number, to: number): WebhookJob[] {
  return Array.from({ length: to - from }, (_, k) => ({ url: `${sinkUrl}/m${from + k}`, body: { hello: 'world' } }));
}

/** Runs `stop` on SIGTERM/SIGINT, then exits. */
export function onStop(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/** What every peer offers: ingest (with a worker in the same process when `inFlight` is given) and a drain. */
export interface PeerModes {
  ingest(port: number, where: string, inFlight?: number): Promise<void>;
  deliver(sinkUrl: string, where: string, n: number, inFlight: number): Promise<void>;
}

/** Runs the mode named on the command line: `ingest <port> <where>`, `serve <port> <where> <inFlight>`, `deliver <sinkUrl> <where> <n> <inFlight>`. */
export async function runPeer(script: string, where: string, m: PeerModes): Promise<void> {
  const [mode, a, b, c, d] = process.argv.slice(2);
  if (mode === 'ingest') return m.ingest(Number(a), b!);
  if (mode === 'serve') return m.ingest(Number(a), b!, Number(c));
  if (mode === 'deliver') return m.deliver(a!, b!, Number(c), Number(d));
  console.error(
    `usage: ${script} ingest <port> <${where}> | serve <port> <${where}> <inFlight> | deliver <sinkUrl> <${where}> <n> <inFlight>`,
  );
  process.exit(2);
}
