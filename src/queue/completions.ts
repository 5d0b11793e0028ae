import { sleep, type Clock } from '../domain/clock.ts';
import { isStoreUnavailable } from '../store/faults.ts';
import type { Completion, DeliveryQueue, Store } from '../store/store.ts';
import { GroupCommit } from './group-commit.ts';

/** Backoff between attempts to write kept completions while the store is unavailable. */
export const KEPT_RETRY_MIN_MS = 100;
export const KEPT_RETRY_MAX_MS = 5000;

type Kept = { items: Completion[]; done: () => void };

export interface CompletionWriterDeps {
  store: Store;
  /** Where completions go (default: the message table). */
  queue?: Pick<DeliveryQueue, 'complete'>;
  clock: Clock;
  /** Every failed attempt, for the log and herald_loop_errors_total{loop="complete"}. */
  onError: (err: unknown) => void;
  /** Completions given up at shutdown because the store never came back. */
  onGiveUp: (items: readonly Completion[]) => void;
}

/*
 * CompletionWriter — writes the worker's decisions in group commits. A completion is a fact about
 * the outside world (the provider took the message): dropping it because the database was briefly
 * unavailable would send the message again once its lease ran out. So while the store is
 * unavailable (unreachable, disk full) completions are kept in memory and retried with capped
 * backoff until it takes them. Memory is bounded: the worker holds a message (and so at most one
 * completion for it) until its completion is written, and claims nothing beyond maxInFlight.
 * A completion the store refuses for a fault of its own is dropped (logged); its lease runs out.
 * At shutdown, close() keeps trying until its deadline, then gives up on the rest (logged).
 */
export class CompletionWriter {
  private readonly d: CompletionWriterDeps;
  private readonly group: GroupCommit<Completion, void>;
  private readonly kept: Kept[] = [];
  private retrying: Promise<void> | null = null;
  private giveUpAt = Infinity;
  private readonly closing = new AbortController();

  constructor(deps: CompletionWriterDeps) {
    this.d = deps;
    this.group = new GroupCommit<Completion, void>(async (items) => {
      await (this.d.queue ?? this.d.store.messages).complete(items);
      return items.map(() => undefined);
    }, 1000);
  }

  /** Completions waiting for the store to come back. */
  get keptCount(): number {
    return this.kept.reduce((n, k) => n + k.items.length, 0);
  }

  /** Resolves when every completion is written (or dropped, or given up at shutdown). Never rejects. */
  async write(items: Completion[]): Promise<void> {
    const left = await this.attempt(items);
    if (left.length === 0) return;
    await new Promise<void>((done) => {
      this.kept.push({ items: left, done });
      this.retrying ??= this.retryKept().finally(() => (this.retrying = null));
    });
  }

  /** Stops waiting between retries; gives up on what is still kept after `timeoutMs`. */
  async close(timeoutMs: number): Promise<void> {
    this.giveUpAt = this.d.clock.now() + timeoutMs;
    this.closing.abort();
    await this.retrying;
    await this.group.drain();
  }

  /** Submits each completion; returns those the store could not take now. */
  private async attempt(items: Completion[]): Promise<Completion[]> {
    const results = await Promise.allSettled(items.map((c) => this.group.submit(c)));
    const left: Completion[] = [];
    let fault: unknown;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') return;
      fault ??= r.reason;
      if (isStoreUnavailable(r.reason)) left.push(items[i]!);
    });
    if (fault !== undefined) this.d.onError(fault);
    return left;
  }

  private async retryKept(): Promise<void> {
    let delay = KEPT_RETRY_MIN_MS;
    while (this.kept.length > 0) {
      if (this.d.clock.now() >= this.giveUpAt) {
        const lost = this.kept.splice(0);
        this.d.onGiveUp(lost.flatMap((k) => k.items));
        for (const k of lost) k.done();
        return;
      }
      const wait = Math.min(delay, Math.max(0, this.giveUpAt - this.d.clock.now()));
      await sleep(this.d.clock, wait, this.closing.signal.aborted ? undefined : this.closing.signal);
      delay = Math.min(delay * 2, KEPT_RETRY_MAX_MS);
      const batch = this.kept.splice(0);
      const left = new Set(await this.attempt(batch.flatMap((k) => k.items)));
      for (const k of batch) {
        const rest = k.items.filter((c) => left.has(c));
        if (rest.length === 0) k.done();
        else this.kept.push({ items: rest, done: k.done });
      }
    }
  }
}
