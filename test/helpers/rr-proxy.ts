import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface Backend {
  name: string;
  host: string;
  port: number;
  /** GET this path answers 2xx while the backend should take traffic (HAProxy's `option httpchk`). */
  healthPath?: string;
}

/**
 * A tiny round-robin TCP load balancer on 127.0.0.1, in the manner of deploy/compose/haproxy.cfg:
 * each new client connection goes to the next backend that is in rotation; a backend leaves the
 * rotation after `fall` failed health checks in a row and comes back after `rise` good ones; a
 * connection that cannot reach its backend is tried on the next one (`retry-on conn-failure`,
 * `option redispatch`). Bytes are piped as they are: an HTTP connection stays on its backend, and
 * dies with it.
 */
export async function startRoundRobinProxy(
  initial: Backend[],
  opts: { checkEveryMs?: number; fall?: number; rise?: number } = {},
) {
  const every = opts.checkEveryMs ?? 500;
  const fall = opts.fall ?? 2;
  const rise = opts.rise ?? 2;
  interface Slot {
    b: Backend;
    up: boolean;
    bad: number;
    good: number;
    connections: number;
  }
  const slots: Slot[] = initial.map((b) => ({ b, up: true, bad: 0, good: 0, connections: 0 }));
  const open = new Set<Socket>();
  let next = 0;
  let closed = false;

  const pick = (skip: Set<Slot>): Slot | undefined => {
    for (let i = 0; i < slots.length; i++) {
      const s = slots[(next + i) % slots.length]!;
      if (s.up && !skip.has(s)) {
        next = (next + i + 1) % slots.length;
        return s;
      }
    }
    return undefined;
  };

  const server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => undefined);
    client.pause();
    const tried = new Set<Slot>();
    const attempt = () => {
      const slot = pick(tried);
      if (!slot || closed) return void client.destroy();
      tried.add(slot);
      const upstream = connect(slot.b.port, slot.b.host);
      let connected = false;
      upstream.once('connect', () => {
        connected = true;
        if (client.destroyed) return void upstream.destroy();
        slot.connections++;
        open.add(upstream);
        upstream.on('close', () => {
          open.delete(upstream);
          client.destroy();
        });
        client.on('close', () => upstream.destroy());
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.on('error', () => {
        if (!connected) {
          upstream.destroy();
          attempt();
        }
      });
    };
    attempt();
  });

  const check = async (s: Slot) => {
    if (!s.b.healthPath) return;
    let ok = false;
    try {
      const r = await fetch(`http://${s.b.host}:${s.b.port}${s.b.healthPath}`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      ok = r.ok;
    } catch {
      ok = false;
    }
    if (ok) {
      s.bad = 0;
      if (!s.up && ++s.good >= rise) s.up = true;
    } else {
      s.good = 0;
      if (s.up && ++s.bad >= fall) s.up = false;
    }
  };
  const timer = setInterval(() => void Promise.all(slots.map(check)), every);
  timer.unref();

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    /** Which backends are in rotation, and how many connections each has taken. */
    state: () => slots.map((s) => ({ name: s.b.name, up: s.up, connections: s.connections })),
    close: () =>
      new Promise<void>((r) => {
        closed = true;
        clearInterval(timer);
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}
