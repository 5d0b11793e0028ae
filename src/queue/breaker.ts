import type { BreakerSettings } from '../config/config.ts';
import type { Clock } from '../domain/clock.ts';

export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * A circuit breaker: `failureThreshold` transient failures in a row open it for a cooldown; then
 * one probe is let through (half-open); its success closes the breaker, its failure reopens it
 * for twice as long, up to `maxCooldownMs`.
 */
export class Breaker {
  private readonly settings: BreakerSettings;
  private readonly clock: Clock;
  private failures = 0;
  private openedAt = 0;
  private cooldown: number;
  private probing = false;
  private opened = false;

  constructor(settings: BreakerSettings, clock: Clock) {
    this.settings = settings;
    this.clock = clock;
    this.cooldown = settings.cooldownMs;
  }

  get state(): BreakerState {
    if (!this.opened) return 'closed';
    return this.clock.now() >= this.openedAt + this.cooldown ? 'half_open' : 'open';
  }

  /** When an open breaker lets its next probe through (ms epoch); now if closed. */
  get reopensAt(): number {
    return this.opened ? this.openedAt + this.cooldown : this.clock.now();
  }

  /** Whether a call may go now. In half-open state only one probe at a time. */
  allow(): boolean {
    const s = this.state;
    if (s === 'closed') return true;
    if (s === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    this.opened = false;
    this.cooldown = this.settings.cooldownMs;
  }

  failure(): void {
    this.failures++;
    if (this.opened && this.probing) {
      this.probing = false;
      this.cooldown = Math.min(this.cooldown * 2, this.settings.maxCooldownMs);
      this.openedAt = this.clock.now();
      return;
    }
    if (!this.opened && this.failures >= this.settings.failureThreshold) {
      this.opened = true;
      this.openedAt = this.clock.now();
    }
  }
}
