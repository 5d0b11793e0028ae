import type { Clock, Timer } from '../domain/clock.ts';

/** The signal of one provider call; call done() when the call is over. */
export class Call extends AbortController {
  /** When the call times out (clock ms). */
  readonly deadline: number;
  prev: Call | null = null;
  next: Call | null = null;
  private readonly owner: CallDeadlines;

  constructor(owner: CallDeadlines, deadline: number) {
    super();
    this.owner = owner;
    this.deadline = deadline;
  }

  /** The call is over: it leaves its lane's list (O(1)); nothing to cancel. */
  done(): void {
    this.owner.remove(this);
  }
}

/*
 * CallDeadlines — the signals of one lane's provider calls, each aborted after the lane's
 * `timeoutMs` on the clock (a TimeoutError, as AbortSignal.timeout gives, which the providers
 * report as "timed out"), or all at once by abortAll (the worker, at shutdown).
 *
 * Inputs: clock, timeoutMs. Invariants: the calls in flight form a list in start order, which is
 * also deadline order (one timeout per lane); at most one timer is set while the list is not
 * empty, for a deadline no later than its head's. A call that ends unlinks itself and cancels
 * nothing; the timer, when it fires, aborts the calls past their deadline and is set again for
 * the new head. So a lane pays one timer per timeoutMs, not a setTimeout and clearTimeout (and
 * their closures) per call.
 *
 * Not AbortSignal.any([workerSignal, AbortSignal.timeout(ms)]): with a source signal that lives as
 * long as the process, Node keeps cleanup registrations per call, and each timeout signal holds a
 * real timer for its whole length (15,000 of them at 1,000 calls/s with a 15 s timeout).
 */
export class CallDeadlines {
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private head: Call | null = null;
  private tail: Call | null = null;
  private timer: Timer | null = null;

  constructor(clock: Clock, timeoutMs: number) {
    this.clock = clock;
    this.timeoutMs = timeoutMs;
  }

  start(): Call {
    const call = new Call(this, this.clock.now() + this.timeoutMs);
    if (this.tail) {
      this.tail.next = call;
      call.prev = this.tail;
    } else this.head = call;
    this.tail = call;
    this.timer ??= this.clock.setTimer(() => this.expire(), this.timeoutMs);
    return call;
  }

  /** Aborts every call in flight (shutdown). */
  abortAll(reason: unknown): void {
    for (let c = this.head; c; c = this.head) {
      this.remove(c);
      c.abort(reason);
    }
  }

  /** Unlinks a call (no-op when it already left); the timer goes with the last call. */
  remove(call: Call): void {
    if (call.prev) call.prev.next = call.next;
    else if (this.head === call) this.head = call.next;
    else return;
    if (call.next) call.next.prev = call.prev;
    else this.tail = call.prev;
    call.prev = call.next = null;
    if (this.head === null) {
      this.timer?.cancel();
      this.timer = null;
    }
  }

  private expire(): void {
    this.timer = null;
    const now = this.clock.now();
    while (this.head && this.head.deadline <= now) {
      const c = this.head;
      this.remove(c);
      c.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
    }
    if (this.head) this.timer = this.clock.setTimer(() => this.expire(), this.head.deadline - now);
  }
}
