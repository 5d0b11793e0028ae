import type { ProviderConfig } from '../config/config.ts';
import { didYouMean } from '../config/suggest.ts';
import type { Channel } from '../domain/message.ts';

/**
 * A provider type's options: the channels it serves and how its own options are checked. Kept
 * apart from the adapter (`<type>.options.ts` beside `<type>.provider.ts`) so that loading the
 * configuration never loads an adapter's client libraries (nodemailer, undici).
 */
export interface ProviderSchema {
  type: string;
  channels: readonly Channel[];
  /** Checks the type's own options (cfg.options); pushes every problem, as `providers[name].field …`. */
  validate: (cfg: ProviderConfig, problems: string[]) => void;
}

/** Options every provider has, whatever its type; src/config/providers.ts reads them. */
export const COMMON_PROVIDER_KEYS: readonly string[] = [
  'name',
  'channel',
  'type',
  'concurrency',
  'rateLimit',
  'timeoutMs',
  'retrySchedule',
  'maxAttempts',
  'attemptsBeforeFailover',
];

/** Options any provider may have, read by the receipts endpoint (generic receipts' basic auth). */
export const RECEIPT_OPTION_KEYS: ReadonlySet<string> = new Set(['webhookPassword']);

/**
 * Reads a provider's own options (ProviderConfig.options) for `validate` and `create`. With a
 * problems list it reports every bad or missing option as `providers[name].key …`; without one
 * (in `create`, after validation passed) it just reads. Unknown keys are reported too, so a typo
 * does not silently fall back to a default.
 */
export class OptionReader {
  private readonly cfg: ProviderConfig;
  private readonly problems: string[] | undefined;
  private readonly seen = new Set<string>();

  constructor(cfg: ProviderConfig, problems?: string[]) {
    this.cfg = cfg;
    this.problems = problems;
  }

  private problem(key: string, text: string): void {
    this.problems?.push(`providers[${this.cfg.name}].${key} ${text}`);
  }

  private raw(key: string): unknown {
    this.seen.add(key);
    return this.cfg.options[key];
  }

  str(key: string, required: true): string;
  str(key: string, required?: false): string | undefined;
  str(key: string, required = false): string | undefined {
    const v = this.raw(key);
    if (v === undefined || v === '') {
      if (required) this.problem(key, 'is required');
      return undefined;
    }
    if (typeof v !== 'string' && typeof v !== 'number') {
      this.problem(key, 'must be a string');
      return undefined;
    }
    return String(v);
  }

  /**
   * A URL with one of the given schemes. With `required`, typed as present: a missing one is a
   * problem in `validate`, and `create` only runs after validation passed.
   */
  url(key: string, schemes: readonly string[], required: true): URL;
  url(key: string, schemes: readonly string[], required?: false): URL | undefined;
  url(key: string, schemes: readonly string[], required = false): URL | undefined {
    const s = required ? this.str(key, true) : this.str(key);
    if (s === undefined) return undefined;
    try {
      const u = new URL(s);
      if (!schemes.includes(u.protocol.replace(/:$/, ''))) {
        this.problem(key, `must be a ${schemes.join(' or ')} URL (got ${u.protocol})`);
      }
      return u;
    } catch {
      this.problem(key, `is not a valid URL (${JSON.stringify(s)})`);
      return undefined;
    }
  }

  int(key: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      this.problem(key, `must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.raw(key);
    if (v === undefined) return fallback;
    if (v === true || v === 'true') return true;
    if (v === false || v === 'false') return false;
    this.problem(key, 'must be true or false');
    return fallback;
  }

  /** Reports keys no reader asked for, with the nearest known option. Call last. */
  done(): void {
    const known = [...this.seen, ...RECEIPT_OPTION_KEYS, ...COMMON_PROVIDER_KEYS];
    for (const key of Object.keys(this.cfg.options)) {
      if (!this.seen.has(key) && !RECEIPT_OPTION_KEYS.has(key))
        this.problem(key, `is not an option of this provider type${didYouMean(key, known)}`);
    }
  }
}

/** A base URL option (http or https), without its trailing slash; `fallback` when absent. */
export function baseUrlOption(r: OptionReader, key: string, fallback?: string): string {
  const u = fallback === undefined ? r.url(key, ['http', 'https'], true) : r.url(key, ['http', 'https']);
  return (u?.href ?? fallback ?? '').replace(/\/+$/, '');
}
