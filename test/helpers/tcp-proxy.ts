import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (PostgreSQL), to cut one test's connections
 * off for as long as it likes without touching the server or anyone else's sessions: `cut()`
 * drops every connection and refuses new ones (closed at once), `restore()` lets them through again.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const open = new Set<Socket>();
  let down = false;
  const server = createServer((client) => {
    if (down) return void client.destroy();
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const cutAll = () => {
    for (const s of open) s.destroy();
  };
  return {
    port,
    /** The same URL with host and port replaced by the proxy's. */
    url(of: string): string {
      const u = new URL(of);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut(): void {
      down = true;
      cutAll();
    },
    restore(): void {
      down = false;
    },
    close: () =>
      new Promise<void>((r) => {
        down = true;
        cutAll();
        server.close(() => r());
      }),
  };
}
