/**
 * A count of work in flight (calls, outcomes on their way to the store); idle() resolves when none
 * is left. What a Set of promises did for the worker's shutdown, without a `.finally` chain
 * (a promise and three closures) per call.
 */
export class Tally {
  private n = 0;
  private waiters: (() => void)[] = [];

  get size(): number {
    return this.n;
  }

  add(): void {
    this.n++;
  }

  done(): void {
    if (--this.n > 0) return;
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }

  /** Resolves once nothing is in flight (at once when nothing is). */
  idle(): Promise<void> {
    return this.n === 0 ? Promise.resolve() : new Promise((resolve) => this.waiters.push(resolve));
  }
}
