import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { Agent } from 'undici';
import { rawHeader, requestCapped, type CappedRequest } from './http-client.ts';

/** requestCapped against a real HTTP server on 127.0.0.1. */
describe('requestCapped', () => {
  let server: Server;
  let hung: () => void = () => undefined;
  let origin: string;
  const agent = new Agent({ connections: 4 });
  const seen: { method: string; url: string; body: string; headers: Record<string, unknown> }[] = [];

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, body, headers: req.headers });
        if (req.url === '/big') {
          // Several writes: more than one chunk reaches the client.
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('a'.repeat(3000));
          setTimeout(() => res.end('b'.repeat(3000)), 5);
        } else if (req.url === '/hang') {
          hung(); // never answers
        } else if (req.url?.startsWith('/limited')) {
          res.writeHead(429, { 'Retry-After': '7', 'x-other': 'y' });
          res.end('slow down');
        } else if (req.url === '/utf8') {
          res.end('héllo');
        } else {
          res.writeHead(201);
          res.end('created');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(async () => {
    await agent.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const req = (path: string, o: Partial<CappedRequest> = {}): CappedRequest => ({
    url: new URL(path, origin),
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-key': 'k1' },
    body: '{"a":1}',
    ...o,
  });

  test('sends method, path, headers and body; answers status and text', async () => {
    const a = await requestCapped(agent, req('/ok?x=1'), 1024, new AbortController().signal);
    assert.equal(a.status, 201);
    assert.equal(a.text, 'created');
    const s = seen.find((r) => r.url === '/ok?x=1')!;
    assert.equal(s.method, 'POST');
    assert.equal(s.body, '{"a":1}');
    assert.equal(s.headers['x-key'], 'k1');
  });

  test('a GET without a body', async () => {
    const a = await requestCapped(
      agent,
      req('/get', { method: 'GET', body: undefined }),
      1024,
      AbortSignal.timeout(5000),
    );
    assert.equal(a.status, 201);
    assert.equal(seen.find((r) => r.url === '/get')!.body, '');
  });

  test('the body is capped at the limit, whole when under it', async () => {
    const capped = await requestCapped(agent, req('/big'), 4000, AbortSignal.timeout(5000));
    assert.equal(capped.text, 'a'.repeat(3000) + 'b'.repeat(1000));
    const whole = await requestCapped(agent, req('/big'), 10_000, AbortSignal.timeout(5000));
    assert.equal(whole.text.length, 6000);
    const tiny = await requestCapped(agent, req('/big'), 10, AbortSignal.timeout(5000));
    assert.equal(tiny.text, 'a'.repeat(10));
    const utf8 = await requestCapped(agent, req('/utf8'), 1024, AbortSignal.timeout(5000));
    assert.equal(utf8.text, 'héllo');
  });

  test('raw headers are looked up by lower-case name', async () => {
    const a = await requestCapped(agent, req('/limited'), 1024, AbortSignal.timeout(5000));
    assert.equal(a.status, 429);
    assert.equal(rawHeader(a.rawHeaders, 'retry-after'), '7');
    assert.equal(rawHeader(a.rawHeaders, 'x-other'), 'y');
    assert.equal(rawHeader(a.rawHeaders, 'x-missing'), undefined);
  });

  test("an abort rejects with the signal's reason, before or during the call", async () => {
    const timeout = new AbortController();
    const arrived = new Promise<void>((r) => (hung = r));
    const during = requestCapped(agent, req('/hang'), 1024, timeout.signal);
    await arrived;
    timeout.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    await assert.rejects(during, (e: Error) => e.name === 'TimeoutError');
    const ctl = new AbortController();
    ctl.abort(new Error('shutting down'));
    await assert.rejects(requestCapped(agent, req('/ok'), 1024, ctl.signal), /shutting down/);
    // The pool still serves after aborted calls.
    assert.equal((await requestCapped(agent, req('/ok'), 1024, AbortSignal.timeout(5000))).status, 201);
  });

  test('only http and https', async () => {
    await assert.rejects(
      requestCapped(agent, req('/', { url: new URL('ftp://127.0.0.1/x') }), 1024, AbortSignal.timeout(5000)),
      (e: Error & { code?: string }) => e.code === 'UND_ERR_INVALID_ARG',
    );
  });

  test('transport faults reject', async () => {
    const closed = new Agent({ connect: { timeout: 1000 } });
    try {
      await assert.rejects(
        requestCapped(closed, req('/ok', { url: new URL('http://127.0.0.1:9/ok') }), 1024, AbortSignal.timeout(5000)),
        (e: Error & { code?: string }) => e.code === 'ECONNREFUSED',
      );
    } finally {
      await closed.destroy();
    }
  });
});
