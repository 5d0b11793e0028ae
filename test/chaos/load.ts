import type { Ledger } from './ledger.ts';

/** How the API answered valid messages during one phase. */
export interface LoadStats {
  /** Requests sent (each retry counts). */
  requests: number;
  /** Distinct messages acknowledged with 202. */
  accepted: number;
  /** 503 answers (the store or the process unavailable: the client sends again, same Idempotency-Key). */
  unavailable: number;
  /** Connection refused, reset or timed out (the API process was down). */
  refused: number;
  /** 500 answers to valid input: a defect. */
  internal: number;
  /** Any other answer (4xx to a valid message is a defect of Herald or of this generator). */
  other: number;
  /** Messages given up after the retry bound without a 202. */
  gaveUp: number;
  samples: string[];
}

export const emptyStats = (): LoadStats => ({
  requests: 0,
  accepted: 0,
  unavailable: 0,
  refused: 0,
  internal: 0,
  other: 0,
  gaveUp: 0,
  samples: [],
});

export interface LoadOptions {
  /** Messages per second, about. */
  rate: number;
  /** Clients posting side by side. */
  concurrency: number;
  apiKey: string;
  /** Every n-th message is an SMS (0: none). */
  smsEvery: number;
  /** Give up on one message after this long without a 202. */
  giveUpMs: number;
}

/**
 * Steady ingest through the public API, one `POST /v1/messages` per message, as a careful client
 * does it: each message has its own `Idempotency-Key`, and a 503, a 500 or a failed connection is
 * sent again with the same key (every 100–300 ms) until a 202 or `giveUpMs`. A message counts as
 * accepted only when a 202 came back.
 */
export class Load {
  phase = 'warm-up';
  readonly stats = new Map<string, LoadStats>();
  private seq = 0;
  private stopped = false;
  private loops: Promise<void>[] = [];
  private readonly api: () => string;
  private readonly ledger: Ledger;
  private readonly webhookUrl: () => string;
  private readonly opts: LoadOptions;

  constructor(api: () => string, ledger: Ledger, webhookUrl: () => string, opts: LoadOptions) {
    this.api = api;
    this.ledger = ledger;
    this.webhookUrl = webhookUrl;
    this.opts = opts;
  }

  statsOf(phase: string): LoadStats {
    let s = this.stats.get(phase);
    if (!s) this.stats.set(phase, (s = emptyStats()));
    return s;
  }

  start(): void {
    const interval = (this.opts.concurrency * 1000) / this.opts.rate;
    for (let i = 0; i < this.opts.concurrency; i++) {
      this.loops.push(
        (async () => {
          // Spread the clients over one interval.
          await sleep((interval * i) / this.opts.concurrency);
          while (!this.stopped) {
            const t0 = Date.now();
            await this.one();
            await sleep(Math.max(0, interval - (Date.now() - t0)));
          }
        })(),
      );
    }
  }

  /** Stops sending new messages; resolves when every message begun has a 202 or was given up. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async one(): Promise<void> {
    const n = this.seq++;
    const phase = this.phase;
    const stats = this.statsOf(phase);
    const key = `m${n}`;
    const sms = this.opts.smsEvery > 0 && n % this.opts.smsEvery === 0;
    const body = sms
      ? { channel: 'sms', to: `+7900${String(1_000_000 + n).slice(-7)}`, text: `chaos ${key}`, maxAttempts: 100 }
      : {
          channel: 'webhook',
          method: 'POST',
          url: `${this.webhookUrl()}/hook/${key}`,
          body: { key },
          maxAttempts: 100,
        };
    const payload = JSON.stringify(body);
    const end = Date.now() + this.opts.giveUpMs;
    for (;;) {
      stats.requests++;
      try {
        const res = await fetch(`${this.api()}/v1/messages`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${this.opts.apiKey}`,
            'content-type': 'application/json',
            'idempotency-key': key,
          },
          body: payload,
          signal: AbortSignal.timeout(10_000),
        });
        const text = await res.text();
        if (res.status === 202 || res.status === 200) {
          const id = (JSON.parse(text) as { id: string }).id;
          stats.accepted++;
          this.ledger.accept({ key, id, phase, channel: sms ? 'sms' : 'webhook', at: Date.now() });
          return;
        }
        if (res.status === 503) stats.unavailable++;
        else if (res.status >= 500) {
          stats.internal++;
          sample(stats, `${res.status} ${text.slice(0, 300)}`);
        } else {
          stats.other++;
          sample(stats, `${res.status} ${text.slice(0, 300)}`);
          return;
        }
      } catch {
        stats.refused++;
      }
      if (Date.now() > end) {
        stats.gaveUp++;
        return;
      }
      await sleep(100 + Math.random() * 200);
    }
  }
}

function sample(s: LoadStats, line: string): void {
  if (s.samples.length < 5) s.samples.push(line);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
