import type { Clock, Timer } from '../domain/clock.ts';
import type { Message } from '../domain/message.ts';
import { Breaker } from './breaker.ts';
import { CallDeadlines } from './call-signal.ts';
import type { LaneSettings } from './router.ts';

/**
 * One delivery lane in a worker: the messages it holds, its calls in flight, its breaker and its
 * rate limit. The worker decides; the lane only keeps the lane's state.
 */
export class Lane {
  readonly key: string;
  readonly settings: LaneSettings;
  readonly breaker: Breaker;
  /** The signals of its calls in flight, each aborted after settings.timeoutMs. */
  readonly calls: CallDeadlines;
  readonly buffer: Message[] = [];
  active = 0;
  /** When the oldest buffered message arrived (for linger). */
  firstBufferedAt = 0;
  timer: Timer | null = null;
  /** Left out of the last claim (full or breaker open): the worker claims again when it has room. */
  excluded = false;
  /** Last time a message arrived or a batch left. */
  private usedAt: number;
  private tokens: number;
  private refilledAt: number;
  private readonly clock: Clock;

  constructor(key: string, settings: LaneSettings, clock: Clock) {
    this.key = key;
    this.settings = settings;
    this.clock = clock;
    this.breaker = new Breaker(settings.breaker, clock);
    this.calls = new CallDeadlines(clock, settings.timeoutMs);
    this.tokens = settings.ratePerSec ?? 0;
    this.refilledAt = clock.now();
    this.usedAt = clock.now();
  }

  /** Nothing buffered, in flight or waiting, breaker closed, and unused for `ms`: safe to forget. */
  idleSince(now: number, ms: number): boolean {
    return (
      this.buffer.length === 0 &&
      this.active === 0 &&
      this.timer === null &&
      this.breaker.state === 'closed' &&
      now - this.usedAt >= ms
    );
  }

  /** Most messages the lane may hold: enough to keep every call slot busy twice over. */
  get capacity(): number {
    return Math.max(2, this.settings.concurrency * this.settings.batchSize * 2);
  }

  get full(): boolean {
    return this.buffer.length >= this.capacity;
  }

  push(m: Message): void {
    this.usedAt = this.clock.now();
    if (this.buffer.length === 0) this.firstBufferedAt = this.usedAt;
    this.buffer.push(m);
  }

  /** A batch may go now: full, or the linger has passed, or no batching at all. */
  batchReady(): boolean {
    const { batchSize, lingerMs } = this.settings;
    return batchSize <= 1 || this.buffer.length >= batchSize || this.clock.now() - this.firstBufferedAt >= lingerMs;
  }

  /** ms until the linger ends. */
  lingerLeft(): number {
    return Math.max(0, this.firstBufferedAt + this.settings.lingerMs - this.clock.now());
  }

  /**
   * Token bucket (capacity one second of traffic): takes `n` tokens if any are left, letting the
   * balance go negative for a large batch. Returns ms to wait when empty, 0 when taken.
   */
  takeTokens(n: number): number {
    const rate = this.settings.ratePerSec;
    if (!rate) return 0;
    const now = this.clock.now();
    this.tokens = Math.min(rate, this.tokens + ((now - this.refilledAt) / 1000) * rate);
    this.refilledAt = now;
    if (this.tokens <= 0) return Math.ceil(((1 - this.tokens) / rate) * 1000);
    this.tokens -= n;
    return 0;
  }

  take(): Message[] {
    this.usedAt = this.clock.now();
    const batch = this.buffer.splice(0, this.settings.batchSize);
    if (this.buffer.length > 0) this.firstBufferedAt = this.clock.now();
    return batch;
  }
}
