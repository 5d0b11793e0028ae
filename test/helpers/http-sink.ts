import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SinkRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A real HTTP server on 127.0.0.1 that records requests and answers as `handler` says
 * (status, headers, body, a delay, a hang, or a reset).
 */
export async function startSink(
  handler: (
    req: SinkRequest,
    n: number,
  ) => {
    status?: number;
    headers?: Record<string, string>;
    body?: string;
    delayMs?: number;
    /** Answer only once this settles. */
    waitFor?: Promise<unknown>;
    hang?: boolean;
    reset?: boolean;
  } = () => ({}),
  /** A test (context or suite): the sink is closed after it, whether it passed or failed. */
  owner?: { after(fn: () => Promise<void>): void },
) {
  const requests: SinkRequest[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: SinkRequest = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(r);
      const a = handler(r, requests.length);
      if (a.hang) return;
      if (a.reset) return void req.socket.destroy();
      const send = () => {
        res.writeHead(a.status ?? 200, a.headers);
        res.end(a.body ?? 'ok');
      };
      if (a.waitFor) void a.waitFor.then(send, send);
      else if (a.delayMs) setTimeout(send, a.delayMs);
      else send();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }));
  owner?.after(close);
  return { url: `http://127.0.0.1:${port}`, port, requests, close };
}
