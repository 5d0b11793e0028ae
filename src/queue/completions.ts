import { sleep, type Clock } from '../domain/clock.ts';
import { isStoreUnavailable } from '../store/faults.ts';
import type { Message } from '../domain/message.ts';
import type { ClaimOptions, Completion, DeliveryQueue, Store } from '../store/store.ts';
import { GroupCommit } from './group-commit.ts';

/** Backoff between attempts to write kept completions while the store is unavailable. */
export const KEPT_RETRY_MIN_MS = 100;
export const KEPT_RETRY_MAX_MS = 5000;

/*
 * One completion commit at a time, on every store (docs/decisions/0038, "Completion group size").
 * SQLite has one writer anyway. On PostgreSQL a completion statement costs the server ~350 µs
 * whatever its size, so outcomes that arrive during a commit are better written together by the
 * next one than by four more commits in flight: 5 in flight cost PostgreSQL 129–134 µs of CPU per
 * delivery, 1 cost 102–115 (20,000-webhook drains, alternated, same session), the worker the same
 * and the drain no slower. Ingest keeps caps.commitsInFlight: a request waits for its commit.
 */
const COMPLETION_COMMITS_IN_FLIGHT = 1;

type Kept = { items: Completion[]; done: () => void };

/** A claim waiting to ride on the next flush: its options are read when that flush starts. */
type Rider = { options: () => ClaimOptions | null; answer: (claimed: Message[] | null) => void };

export interface CompletionWriterDeps {
  store: Store;
  /** Where completions go (default: the message table). */
  queue?: Pick<DeliveryQueue, 'complete' | 'completeAndClaim'>;
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

  private rider: Rider | null = null;

  constructor(deps: CompletionWriterDeps) {
    this.d = deps;
    this.group = new GroupCommit<Completion, void>((items) => this.flush(items), 1000, COMPLETION_COMMITS_IN_FLIGHT);
    // No flush is left to carry a waiting claim: its owner claims by itself.
    this.group.onIdle = () => this.answerRider(null);
  }

  private get queue(): Pick<DeliveryQueue, 'complete' | 'completeAndClaim'> {
    return this.d.queue ?? this.d.store.messages;
  }

  /*
   * flush — one group commit. With a claim waiting (SQLite: claimAlong), the group's outcomes and
   * the claim go to the store together; the claimed messages are handed over only once that
   * transaction committed, so exactly once. If it fails, nothing was claimed: the claim waits for
   * the next flush (a half of this group when it is split on an item's fault), or for onIdle.
   */
  private async flush(items: Completion[]): Promise<void[]> {
    const rider = this.rider;
    const options = rider && rider.options();
    this.rider = null;
    if (rider && !options) rider.answer(null);
    if (rider && options && this.queue.completeAndClaim) {
      let claimed: Message[];
      try {
        ({ claimed } = await this.queue.completeAndClaim(items, options));
      } catch (err) {
        this.rider ??= rider;
        throw err;
      }
      rider.answer(claimed);
    } else {
      await this.queue.complete(items);
    }
    return items.map(() => undefined);
  }

  /**
   * Asks the next group commit to claim too (docs/decisions/0029). Only with one writer
   * (caps.commitsInFlight 1: SQLite), where a claim of its own would wait behind the flush anyway.
   * Resolves with the messages claimed, or null when no flush carries the claim (none is running
   * or due, the store took no claim, `options` answered null): then the caller claims by itself.
   */
  claimAlong(options: () => ClaimOptions | null): Promise<Message[] | null> {
    if (this.d.store.caps.commitsInFlight !== 1 || !this.queue.completeAndClaim || !this.group.busy || this.rider)
      return Promise.resolve(null);
    return new Promise((answer) => (this.rider = { options, answer }));
  }

  private answerRider(claimed: Message[] | null): void {
    const rider = this.rider;
    this.rider = null;
    rider?.answer(claimed);
  }

  /** Completions waiting for the store to come back. */
  get keptCount(): number {
    return this.kept.reduce((n, k) => n + k.items.length, 0);
  }

  /** Resolves when every completion is written (or dropped, or given up at shutdown). Never rejects. */
  async write(items: Completion[]): Promise<void> {
    let left: Completion[];
    if (items.length === 1) {
      // One call's outcome (a webhook): as attempt() does, without its arrays and allSettled.
      try {
        await this.group.submit(items[0]!);
        return;
      } catch (err) {
        this.d.onError(err);
        if (!isStoreUnavailable(err)) return;
        left = items;
      }
    } else left = await this.attempt(items);
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
