/**
 * Anything that reads time or waits takes a Clock, so tests can move time by hand instead of
 * sleeping (pg-boss keeps its timekeeping behind one object the same way).
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` once `ms` have passed on this clock. */
  setTimer(fn: () => void, ms: number): Timer;
}

export interface Timer {
  cancel(): void;
  /** The timer alone does not keep the process alive (Node's `unref`). Returns itself. */
  unref(): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    const timer: Timer = {
      cancel: () => clearTimeout(t),
      unref: () => (t.unref(), timer),
    };
    return timer;
  },
};

/** Resolves after `ms` on `clock`, or at once when `signal` aborts. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      timer.cancel();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = clock.setTimer(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * A clock for tests: time moves only when told, and timers fire as it passes them.
 * `realTimers: true` keeps the time manual but lets timers run on real time: for whole-runtime
 * tests that set the date (campaign windows) while the worker and scheduler loops go on by themselves.
 */
export class ManualClock implements Clock {
  private t: number;
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;
  private readonly realTimers: boolean;

  constructor(start = Date.UTC(2026, 0, 1), opts: { realTimers?: boolean } = {}) {
    this.t = start;
    this.realTimers = opts.realTimers ?? false;
  }

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): Timer {
    if (this.realTimers) return systemClock.setTimer(fn, ms);
    const entry = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(entry);
    const timer: Timer = {
      cancel: () => {
        this.timers = this.timers.filter((x) => x !== entry);
      },
      unref: () => timer,
    };
    return timer;
  }

  /** Timers waiting to fire. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Sets the time without firing timers (a clock jump). */
  set(ms: number): void {
    this.t = ms;
  }

  /** Moves time forward, firing each timer due on the way in order, at its own time. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (let next = this.due(end); next; next = this.due(end)) {
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }

  /**
   * Like advance, but lets the work each timer starts run (promises, I/O callbacks of an
   * in-process database) before the next timer fires: for code that waits, then awaits.
   */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (let next = this.due(end); next; next = this.due(end)) {
      this.t = Math.max(this.t, next.at);
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }

  private due(end: number): { at: number; fn: () => void } | undefined {
    let first: (typeof this.timers)[number] | undefined;
    for (const x of this.timers)
      if (x.at <= end && (!first || x.at < first.at || (x.at === first.at && x.seq < first.seq))) first = x;
    if (first) this.timers = this.timers.filter((x) => x !== first);
    return first;
  }
}

/** A few turns of the event loop: enough for promise chains and setImmediate work to run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
