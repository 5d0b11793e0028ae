import { isStoreUnavailable } from '../store/faults.ts';

type Pending<T, R> = { item: T; resolve: (r: R) => void; reject: (e: unknown) => void };

/**
 * Group commit (ARCHITECTURE decision 5): items submitted in the same event-loop turn are written
 * together by one call of `flush` (one transaction); each submitter's promise settles only after
 * that call returns.
 *
 * One item's fault stays its own: when a flush fails for a reason that may lie in an item (a
 * value the database refuses, a payload that cannot be serialised), the group is split in halves
 * and each half flushed again, down to the single item that fails — about 2·log2(n) extra flushes
 * for one bad item among n. A fault of the database itself (StoreUnavailableError: unreachable,
 * full) is nobody's item: it fails the whole group at once, without retries.
 *
 * Hot path: submit() is O(1); one flush runs at a time, and items arriving during it form the next group.
 */
export class GroupCommit<T, R> {
  private readonly flushFn: (items: T[]) => Promise<R[]>;
  private readonly maxItems: number;
  private pending: Pending<T, R>[] = [];
  private running: Promise<void> | null = null;
  private scheduled = false;

  constructor(flush: (items: T[]) => Promise<R[]>, maxItems = 5000) {
    this.flushFn = flush;
    this.maxItems = maxItems;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when everything submitted so far is written. */
  async drain(): Promise<void> {
    while (this.pending.length > 0 || this.running) {
      if (this.running) await this.running;
      else this.schedule();
      await new Promise((r) => setImmediate(r));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.running = this.run().finally(() => {
        this.running = null;
        if (this.pending.length > 0) this.schedule();
      });
    });
  }

  private async run(): Promise<void> {
    const group = this.pending.splice(0, this.maxItems);
    if (group.length > 0) await this.flush(group);
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
