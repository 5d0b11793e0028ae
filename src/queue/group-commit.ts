import { isStoreUnavailable } from '../store/faults.ts';

type Pending<T, R> = { item: T; resolve: (r: R) => void; reject: (e: unknown) => void };

/**
 * Group commit (ARCHITECTURE decision 5): items submitted in the same event-loop turn are written
 * together by one call of `flush` (one transaction); each submitter's promise settles only after
 * that call returns.
 *
 * Pipelined (docs/decisions/0022): up to `maxInFlight` flushes run at once. While one group's
 * transaction waits for its commit, the items that arrived meanwhile are already on their way in
 * the next one — PostgreSQL runs them on connections of their own and writes their commit records
 * together. With `maxInFlight` 1 (SQLite: one writer, so a second transaction would only wait),
 * items arriving during a flush form the next group, which starts when it ends.
 *
 * One item's fault stays its own: when a flush fails for a reason that may lie in an item (a
 * value the database refuses, a payload that cannot be serialised), the group is split in halves
 * and each half flushed again, down to the single item that fails — about 2·log2(n) extra flushes
 * for one bad item among n. A fault of the database itself (StoreUnavailableError: unreachable,
 * full) is nobody's item: it fails the whole group at once, without retries. The splitting of a
 * group happens within its own slot: other groups in flight are not affected.
 *
 * Hot path: submit() is O(1).
 */
export class GroupCommit<T, R> {
  private readonly flushFn: (items: T[]) => Promise<R[]>;
  private readonly maxItems: number;
  private readonly maxInFlight: number;
  private pending: Pending<T, R>[] = [];
  private readonly running = new Set<Promise<void>>();
  private scheduled = false;

  constructor(flush: (items: T[]) => Promise<R[]>, maxItems = 5000, maxInFlight = 1) {
    this.flushFn = flush;
    this.maxItems = maxItems;
    this.maxInFlight = Math.max(1, maxInFlight);
  }

  /**
   * Called each time the last flush in flight ends with nothing pending (the completion writer
   * answers a claim that no flush carried: docs/decisions/0029).
   */
  onIdle: (() => void) | undefined;

  /** Flushes running now (at most maxInFlight). */
  get inFlight(): number {
    return this.running.size;
  }

  /** A flush is running or items wait for one: a flush will start or end soon. */
  get busy(): boolean {
    return this.running.size > 0 || this.pending.length > 0;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when everything submitted so far is written. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.running.size > 0) {
      if (this.running.size > 0) await Promise.all([...this.running]);
      else this.schedule();
      await new Promise((r) => setImmediate(r));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.running.size >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.start();
    });
  }

  /** Starts flushes for what is pending, as many as the slots allow. */
  private start(): void {
    while (this.pending.length > 0 && this.running.size < this.maxInFlight) {
      const group = this.pending.splice(0, this.maxItems);
      const p: Promise<void> = this.flush(group).finally(() => {
        this.running.delete(p);
        if (this.pending.length > 0) this.schedule();
        else if (this.running.size === 0) this.onIdle?.();
      });
      this.running.add(p);
    }
  }

  private async flush(group: Pending<T, R>[]): Promise<void> {
    let results: R[];
    try {
      results = await this.flushFn(group.map((g) => g.item));
    } catch (err) {
      if (group.length === 1 || isStoreUnavailable(err)) {
        for (const g of group) g.reject(err);
        return;
      }
      const half = Math.ceil(group.length / 2);
      await this.flush(group.slice(0, half));
      await this.flush(group.slice(half));
      return;
    }
    group.forEach((g, i) => g.resolve(results[i]!));
  }
}
