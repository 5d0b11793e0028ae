/**
 * Group commit (ARCHITECTURE decision 5): items submitted in the same event-loop turn are written
 * together by one call of `flush` (one transaction); each submitter's promise settles only after
 * that call returns. A flush failure rejects every item of its group.
 *
 * Hot path: submit() is O(1); one flush runs at a time, and items arriving during it form the next group.
 */
export class GroupCommit<T, R> {
  private readonly flushFn: (items: T[]) => Promise<R[]>;
  private readonly maxItems: number;
  private pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
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

  /** Submits several items that must land in the same group (one transaction). */
  submitAll(items: T[]): Promise<R[]> {
    return Promise.all(items.map((item) => this.submit(item)));
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
    if (group.length === 0) return;
    try {
      const results = await this.flushFn(group.map((g) => g.item));
      group.forEach((g, i) => g.resolve(results[i]!));
    } catch (err) {
      for (const g of group) g.reject(err);
    }
  }
}
