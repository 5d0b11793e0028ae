import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What every provider fake shares: a real node:http server on 127.0.0.1 that records each request
 * and can be told, at run time, how to misbehave:
 *
 * - `ok`      answers as the real API would (the fake's own handler);
 * - `slow`    the same, after `delayMs` (default 2000);
 * - `fail`    an HTTP `status` (default 503) with an HTML error page, and `Retry-After` if given;
 * - `garbage` HTTP 200 with a body the client cannot use (HTML, cut-off JSON, wrong fields), in turn;
 * - `down`    reads the request, then destroys the socket (the client sees a reset/closed socket).
 *
 * `setMode(mode, { times })` applies the mode to the next `times` requests only, then goes back to `ok`.
 */
export type FakeMode = 'ok' | 'slow' | 'fail' | 'garbage' | 'down';

export interface FakeRequest {
  method: string;
  /** Path and query as sent. */
  url: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The mode the fake was in when it answered. */
  mode: FakeMode;
  /** When the request's body had arrived (ms since the epoch). */
  at: number;
}

export interface ModeOptions {
  delayMs?: number;
  status?: number;
  retryAfterSec?: number;
  /** Only the next `times` requests; then `ok` again. */
  times?: number;
}

export interface FakeServer {
  url: string;
  port: number;
  requests: FakeRequest[];
  mode(): FakeMode;
  setMode(mode: FakeMode, opts?: ModeOptions): void;
  close(): Promise<void>;
}

/** Where a fake reports each message it receives, one line each (`herald fakes` prints them). */
export type FakeLog = (line: string) => void;

/** `"first 60 characters…"` of a message text, for a FakeLog line. */
export function quote(text: string | undefined): string {
  const t = (text ?? '').replace(/\s+/g, ' ');
  return JSON.stringify(t.length > 60 ? `${t.slice(0, 60)}…` : t);
}

export type FakeHandler = (req: FakeRequest, res: ServerResponse) => void | Promise<void>;

const GARBAGE = [
  { type: 'text/html', body: '<html><body><h1>Welcome to nginx!</h1></body></html>' },
  { type: 'application/json', body: '{"message": "O' },
  { type: 'application/json', body: '{"result":"maybe","data":[1,2,3]}' },
];

export async function startFakeServer(handler: FakeHandler, port = 0): Promise<FakeServer> {
  const requests: FakeRequest[] = [];
  let mode: FakeMode = 'ok';
  let opts: ModeOptions = {};
  let remaining = Infinity;
  let garbageTurn = 0;
  const timers = new Set<NodeJS.Timeout>();

  const current = (): FakeMode => {
    if (mode === 'ok') return 'ok';
    if (remaining <= 0) {
      mode = 'ok';
      return 'ok';
    }
    remaining--;
    return mode;
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const m = current();
      const url = req.url ?? '/';
      const r: FakeRequest = {
        method: req.method ?? 'GET',
        url,
        path: url.split('?')[0]!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        mode: m,
        at: Date.now(),
      };
      requests.push(r);
      const answer = () => void Promise.resolve(handler(r, res)).catch(() => res.destroy());
      switch (m) {
        case 'ok':
          return answer();
        case 'slow': {
          const t = setTimeout(() => {
            timers.delete(t);
            if (!res.destroyed) answer();
          }, opts.delayMs ?? 2000);
          timers.add(t);
          return;
        }
        case 'fail': {
          const headers: Record<string, string> = { 'content-type': 'text/html' };
          if (opts.retryAfterSec !== undefined) headers['retry-after'] = String(opts.retryAfterSec);
          res.writeHead(opts.status ?? 503, headers);
          return void res.end('<html><body>503 Service Temporarily Unavailable</body></html>');
        }
        case 'garbage': {
          const g = GARBAGE[garbageTurn++ % GARBAGE.length]!;
          res.writeHead(200, { 'content-type': g.type });
          return void res.end(g.body);
        }
        case 'down':
          return void req.socket.destroy();
      }
    });
  });
  // A port in use rejects (EADDRINUSE) instead of an unhandled 'error' event.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    requests,
    mode: () => mode,
    setMode(next, o = {}) {
      mode = next;
      opts = o;
      remaining = o.times ?? Infinity;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes a JSON answer. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** The bearer token of a request, or undefined. */
export function bearer(req: FakeRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
}
