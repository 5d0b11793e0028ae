import { createServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startFbrqFake, type FbrqFake } from '../fakes/fbrq.fake.ts';

/**
 * What the chaos run knows from outside Herald: every message a client got a 202 for (with the
 * phase it was accepted in), and every time a receiver took one (a webhook answered 2xx, an SMS
 * the provider fake accepted). Messages are told apart by a key of ours in the webhook's path
 * and in the SMS text, so a repeat is seen whatever Herald's ids say.
 */
export interface Accepted {
  key: string;
  id: string;
  phase: string;
  channel: 'webhook' | 'sms';
  at: number;
}

export class Ledger {
  readonly accepted = new Map<string, Accepted>();
  /** key → times (ms) a receiver took it. */
  readonly taken = new Map<string, number[]>();

  accept(a: Accepted): void {
    if (!this.accepted.has(a.key)) this.accepted.set(a.key, a);
  }

  take(key: string, at = Date.now()): void {
    const list = this.taken.get(key);
    // In time order (a slow receiver's take is stamped when the request arrived, recorded later).
    if (list) list.splice(list.findLastIndex((t) => t <= at) + 1, 0, at);
    else this.taken.set(key, [at]);
  }

  /** Accepted messages no receiver has taken (yet). */
  missing(): Accepted[] {
    return [...this.accepted.values()].filter((a) => !this.taken.has(a.key));
  }
}

export type SinkMode = 'ok' | 'slow' | 'fail' | 'vanished';

/**
 * The webhook receiver: a real HTTP server on 127.0.0.1 that can be slow (answers after
 * `slowMs`, past Herald's webhook timeout), failing (503 with an HTML page), or vanish (the
 * listener is closed: connections are refused) and come back on the same port.
 * A request it answers 2xx counts as taken, also when the client went away before the answer
 * (a real receiver that processed the request would have acted on it: that is a duplicate).
 */
export class WebhookSink {
  private server: Server | undefined;
  port = 0;
  mode: SinkMode = 'ok';
  slowMs = 6000;
  requests = 0;
  private readonly ledger: Ledger;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(ledger: Ledger) {
    this.ledger = ledger;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on('end', () => this.answer(req, res));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    const key = /^\/hook\/([^/?]+)/.exec(req.url ?? '')?.[1];
    // Taken when it arrived (a slow receiver acts on it then, and answers late).
    const arrived = Date.now();
    const ok = () => {
      if (key) this.ledger.take(key, arrived);
      if (!res.destroyed) res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    };
    if (this.mode === 'fail') {
      res.writeHead(503, { 'content-type': 'text/html' });
      return void res.end('<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>');
    }
    if (this.mode === 'slow') {
      const t = setTimeout(() => {
        this.timers.delete(t);
        ok();
      }, this.slowMs);
      this.timers.add(t);
      return;
    }
    ok();
  }

  /** Closes the listener and every connection: the receiver is gone. */
  async vanish(): Promise<void> {
    this.mode = 'vanished';
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    await new Promise<void>((r) => {
      s.closeAllConnections();
      s.close(() => r());
    });
  }

  /** Back on the same port, answering normally. */
  async comeBack(): Promise<void> {
    this.mode = 'ok';
    if (!this.server) await this.start();
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await this.vanish();
  }
}

/**
 * The SMS provider: seed 003's fbrq fake (test/fakes), whose modes are ok, slow, fail (503),
 * garbage (200 with HTML, cut-off JSON or the wrong fields) and down (reset). An SMS it
 * accepts (mode ok) counts as taken. It can also vanish (closed) and come back on its port.
 */
export class SmsProvider {
  fake: FbrqFake | undefined;
  port = 0;
  readonly token = 'chaos-token';
  private readonly ledger: Ledger;
  private seen = 0;

  constructor(ledger: Ledger) {
    this.ledger = ledger;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async start(): Promise<void> {
    this.fake = await startFbrqFake({ token: this.token, port: this.port });
    this.port = this.fake.port;
    const fake = this.fake;
    // The fake keeps what it accepted in `sent`: move it into the ledger as it comes.
    const push = fake.sent.push.bind(fake.sent);
    fake.sent.push = (...items) => {
      for (const s of items) {
        const key = /chaos ([\w-]+)/.exec(s.text)?.[1];
        if (key) this.ledger.take(key);
      }
      return push(...items);
    };
  }

  get requests(): number {
    return (this.fake?.requests.length ?? 0) + this.seen;
  }

  async vanish(): Promise<void> {
    const f = this.fake;
    this.fake = undefined;
    if (f) {
      this.seen += f.requests.length;
      await f.close();
    }
  }

  async comeBack(): Promise<void> {
    if (!this.fake) await this.start();
    else this.fake.setMode('ok');
  }

  close(): Promise<void> {
    return this.vanish();
  }
}
