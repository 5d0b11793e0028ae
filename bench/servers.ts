/**
 * The bare baselines of the benchmarks, each a process of its own (bench/run.ts starts them):
 *
 *   node bench/servers.ts baseline <port>            node:http answering every POST with 202 and a
 *                                                    small JSON body: the most any ingest API can do
 *   node bench/servers.ts fastify <port>             the peers' Fastify ingest app (JSON schema, 202 and
 *                                                    an id) storing nothing: what a Fastify route costs
 *                                                    before any queue or store (bench/peers/common.ts)
 *   node bench/servers.ts sink <port>                keep-alive webhook receiver answering 200 "ok";
 *                                                    GET /__stats → {count, firstAt, lastAt} (wall ms),
 *                                                    POST /__reset zeroes them
 *   node bench/servers.ts relay <port> <sinkUrl> <connections>
 *                                                    node:http answering 202, then sending each request
 *                                                    on to the sink with undici (keep-alive, <connections>):
 *                                                    the bare limit of accept-and-deliver
 *   node bench/servers.ts undici <sinkUrl> <n> <inFlight>
 *                                                    bare delivery loop: n POSTs to the sink, <inFlight>
 *                                                    at a time on a keep-alive undici Agent
 *
 * Servers print "ready" once listening and stop on SIGTERM.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { ingestApp } from './peers/common.ts';

const [mode, a, b, c] = process.argv.slice(2);

const DELIVERY_BODY = '{"hello":"world"}';

function listen(port: number, handler: (req: IncomingMessage, res: ServerResponse) => void): void {
  const server = createServer(handler);
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
  });
}

/** Reads the whole request body. */
function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function accepted(res: ServerResponse): void {
  res.writeHead(202, { 'content-type': 'application/json' });
  res.end('{"id":"0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","state":"queued"}');
}

function sink(port: number): void {
  let count = 0;
  let firstAt = 0;
  let lastAt = 0;
  listen(port, (req, res) => {
    if (req.url === '/__stats') return void res.end(JSON.stringify({ count, firstAt, lastAt }));
    if (req.url === '/__reset') {
      count = firstAt = lastAt = 0;
      return void res.end('{}');
    }
    req.resume();
    req.on('end', () => {
      lastAt = performance.timeOrigin + performance.now();
      if (count++ === 0) firstAt = lastAt;
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
}

function relay(port: number, sinkUrl: string, connections: number): void {
  const agent = new Agent({ connections, keepAliveTimeout: 60_000 });
  let failed = 0;
  listen(port, (req, res) => {
    void body(req).then((payload) => {
      accepted(res);
      request(`${sinkUrl}/relay`, {
        method: 'POST',
        dispatcher: agent,
        headers: { 'content-type': 'application/json' },
        body: payload,
      }).then(
        (r) => r.body.dump(),
        () => void failed++,
      );
    });
  });
  process.once('SIGTERM', () => {
    if (failed) console.error(`relay: ${failed} requests to the sink failed`);
    void agent.close();
  });
}

async function fastifyNothing(port: number): Promise<void> {
  const app = ingestApp({ add: async () => randomUUID(), addMany: async () => undefined });
  await app.listen({ port, host: '127.0.0.1' });
  process.stdout.write('ready\n');
  process.once('SIGTERM', () => void app.close());
}

async function undiciLoop(sinkUrl: string, n: number, inFlight: number): Promise<void> {
  const agent = new Agent({ connections: inFlight, keepAliveTimeout: 60_000 });
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) {
        const i = next++;
        const res = await request(`${sinkUrl}/m${i}`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', 'idempotency-key': String(i) },
          body: DELIVERY_BODY,
        });
        await res.body.dump();
      }
    }),
  );
  await agent.close();
}

if (mode === 'baseline')
  listen(Number(a), (req, res) => {
    req.resume();
    req.on('end', () => accepted(res));
  });
else if (mode === 'fastify') await fastifyNothing(Number(a));
else if (mode === 'sink') sink(Number(a));
else if (mode === 'relay') relay(Number(a), b!, Number(c));
else if (mode === 'undici') await undiciLoop(a!, Number(b), Number(c));
else {
  console.error(
    'usage: servers.ts baseline|fastify|sink <port> | relay <port> <sinkUrl> <connections> | undici <sinkUrl> <n> <inFlight>',
  );
  process.exit(2);
}
