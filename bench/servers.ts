/**
 * Helper processes for the benchmark, started by bench/run.ts as separate processes so that the
 * load generator and the server under test do not share an event loop:
 *   node bench/servers.ts baseline <port>   bare node:http answering 202 {} (the ingest baseline)
 *   node bench/servers.ts sink <port>       keep-alive HTTP sink answering 200, GET /__count tells how many
 *   node bench/servers.ts undici <url> <n> <concurrency>   bare undici loop: n POSTs, prints ms
 */
import { createServer } from 'node:http';
import { Agent, request } from 'undici';

const [mode, a, b, c] = process.argv.slice(2);

if (mode === 'baseline' || mode === 'sink') {
  let count = 0;
  const server = createServer((req, res) => {
    if (req.url === '/__count') return void res.end(String(count));
    req.resume();
    req.on('end', () => {
      count++;
      if (mode === 'baseline') {
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{"id":"x","state":"queued"}');
      } else {
        res.writeHead(200);
        res.end('ok');
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(Number(a), '127.0.0.1', () => process.stdout.write('ready\n'));
} else if (mode === 'undici') {
  const url = a!;
  const n = Number(b);
  const concurrency = Number(c);
  const agent = new Agent({ connections: concurrency, keepAliveTimeout: 10_000 });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        const res = await request(`${url}/m${i}`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', 'idempotency-key': String(i) },
          body: '{"hello":"world"}',
        });
        await res.body.text();
      }
    }),
  );
  process.stdout.write(`${Math.round(performance.now() - t0)}\n`);
  await agent.close();
} else {
  console.error('usage: servers.ts baseline|sink <port> | undici <url> <n> <concurrency>');
  process.exit(2);
}
