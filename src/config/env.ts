import { keyProblem } from '../auth/api-keys.ts';
import { parseCidrList, type Cidr } from './cidr.ts';
import { parseDuration, parseSchedule } from './durations.ts';
import type { Sources } from './sources.ts';
import { didYouMean } from './suggest.ts';

export interface RetryPolicy {
  /** Delay before each attempt after the first (ms); the last repeats while attempts remain. */
  scheduleMs: number[];
  maxAttempts: number;
}

export interface BreakerSettings {
  /** Consecutive transient failures that open the breaker. */
  failureThreshold: number;
  /** First pause when it opens; doubles on each failed probe up to maxCooldownMs. */
  cooldownMs: number;
  maxCooldownMs: number;
}

export const DEFAULT_RETRY_SCHEDULE = '0,5s,5m,30m,2h,5h,10h,10h';

/** pino's levels, and `silent`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The settings read from environment variables. To add one, add its line here: its type and its
 * TSDoc become part of Config. Then add its row to docs/configuration.md (a test checks).
 */
export function readEnv(r: EnvReader) {
  const retry = readRetryPolicy(r);
  const settings = {
    port: r.int('PORT', 3000, 0, 65535),
    host: r.str('HOST', '0.0.0.0'),
    databaseUrl: readDatabaseUrl(r),
    apiKey: readApiKey(r),
    logLevel: r.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    /** The providers file (YAML or JSON), when one is named. */
    configFile: r.optional('HERALD_CONFIG'),
    bodyLimitBytes: r.int('HERALD_BODY_LIMIT_BYTES', 5 * 1024 * 1024, 1024),
    postbackDefaultValue: r.str('HERALD_POSTBACK_DEFAULT_VALUE', ''),
    network: readNetwork(r),
    /** Postmaster's separate JSON-RPC listener (HERALD_RPC_PORT), off when unset. */
    rpcPort: r.int('HERALD_RPC_PORT', 0, 1, 65535) || undefined,
    /** Compatibility APIs (seeds 000–002) need the bearer key too (HERALD_COMPAT_AUTH, default true). */
    compatAuth: r.bool('HERALD_COMPAT_AUTH', true),
    /** Hard bounces and spam reports put the recipient on the suppression list (HERALD_AUTO_SUPPRESS, default true). */
    autoSuppress: r.bool('HERALD_AUTO_SUPPRESS', true),
    /** Addresses that may call the compatibility APIs without a key (HERALD_COMPAT_ALLOW). */
    compatAllow: parseCidrList(r.str('HERALD_COMPAT_ALLOW', ''), 'HERALD_COMPAT_ALLOW', r.problems),
    /** Port of a worker-only process's /metrics, /healthz, /readyz (HERALD_METRICS_PORT; default PORT). */
    metricsPort:
      r.optional('HERALD_METRICS_PORT') === undefined ? undefined : r.int('HERALD_METRICS_PORT', 0, 0, 65535),
    /** Days final messages are kept before the worker purges them (HERALD_RETENTION_DAYS; 0 = forever). */
    retentionDays: r.int('HERALD_RETENTION_DAYS', 30, 0, 36_500),
    /** One log line per HTTP request (HERALD_LOG_REQUESTS, default false). */
    logRequests: r.bool('HERALD_LOG_REQUESTS', false),
    worker: {
      maxInFlight: r.int('HERALD_WORKER_MAX_IN_FLIGHT', 1000, 1),
      leaseMs: r.duration('HERALD_LEASE_MS', 60_000),
      pollMs: r.duration('HERALD_POLL_MS', 200),
      shutdownTimeoutMs: r.duration('HERALD_SHUTDOWN_TIMEOUT_MS', 10_000),
      retry,
      breaker: {
        failureThreshold: r.int('HERALD_BREAKER_THRESHOLD', 5, 1),
        cooldownMs: r.duration('HERALD_BREAKER_COOLDOWN_MS', 5_000),
        maxCooldownMs: r.duration('HERALD_BREAKER_MAX_COOLDOWN_MS', 300_000),
      } satisfies BreakerSettings,
      webhook: {
        concurrency: r.int('HERALD_WEBHOOK_CONCURRENCY', 16, 1, 10_000),
        timeoutMs: r.duration('HERALD_WEBHOOK_TIMEOUT_MS', 15_000),
        maxResponseBytes: r.int('HERALD_WEBHOOK_MAX_RESPONSE_BYTES', 64 * 1024, 0),
      },
    },
  };
  checkPorts(r, settings);
  return { ...settings, events: readEvents(r) };
}

/** Status events to endpoints and callbacks (issue 13, docs/events.md). */
function readEvents(r: EnvReader) {
  return {
    /** Calls in flight per endpoint (HERALD_EVENTS_CONCURRENCY, default 4). */
    concurrency: r.int('HERALD_EVENTS_CONCURRENCY', 4, 1, 1000),
    /** One event delivery's time limit (HERALD_EVENTS_TIMEOUT_MS, default 15 s). */
    timeoutMs: r.duration('HERALD_EVENTS_TIMEOUT_MS', 15_000),
    /** Signs per-message callbacks (HERALD_CALLBACK_SECRET, `whsec_…`); generated once and kept when unset. */
    callbackSecret: r.secret('HERALD_CALLBACK_SECRET'),
    /** An endpoint whose deliveries all fail this long is disabled (HERALD_ENDPOINT_DISABLE_AFTER, default 5d). */
    disableAfterMs: r.duration('HERALD_ENDPOINT_DISABLE_AFTER', 5 * 86_400_000),
  };
}

function checkPorts(r: EnvReader, settings: { rpcPort: number | undefined; port: number }) {
  if (settings.rpcPort !== undefined && settings.rpcPort === settings.port) {
    r.problem(`HERALD_RPC_PORT must differ from PORT (${settings.port}): it is a separate JSON-RPC listener`);
  }
}

export type EnvSettings = ReturnType<typeof readEnv>;

function readRetryPolicy(r: EnvReader): RetryPolicy {
  const scheduleMs = parseSchedule(
    r.str('HERALD_RETRY_SCHEDULE', DEFAULT_RETRY_SCHEDULE),
    'HERALD_RETRY_SCHEDULE',
    r.problems,
  );
  return { scheduleMs, maxAttempts: r.int('HERALD_MAX_ATTEMPTS', scheduleMs.length, 1, 1000) };
}

/** The environment key: refused when too short to be a key (src/auth/api-keys.ts). */
function readApiKey(r: EnvReader): string | undefined {
  const key = r.secret('HERALD_API_KEY');
  const problem = key === undefined ? undefined : keyProblem(key);
  if (problem) r.problem(`HERALD_API_KEY ${problem}`);
  return key;
}

function readDatabaseUrl(r: EnvReader): string {
  const url = r.secret('DATABASE_URL') ?? 'sqlite:./data/herald.db';
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(url)) {
    r.problem(`DATABASE_URL must be sqlite:<path> or postgres://… (got ${JSON.stringify(url.split(':')[0] + ':…')})`);
  }
  return url;
}

function readNetwork(r: EnvReader): { allowPrivate: boolean; allowCidrs: Cidr[] } {
  const allow = r.str('HERALD_ALLOW_PRIVATE_NETWORKS', 'false').trim();
  if (allow === 'true' || allow === 'false' || allow === '') return { allowPrivate: allow === 'true', allowCidrs: [] };
  return {
    allowPrivate: false,
    allowCidrs: parseCidrList(allow, 'HERALD_ALLOW_PRIVATE_NETWORKS', r.problems, ['true', 'false']),
  };
}

/**
 * Typed reads of environment variables (each also from NAME_FILE, see Sources). A bad value is a
 * problem and reads as its fallback, so that every problem is found in one pass.
 */
export class EnvReader {
  private readonly src: Sources;
  constructor(src: Sources) {
    this.src = src;
  }

  get problems(): string[] {
    return this.src.problems;
  }

  problem(text: string): void {
    this.src.problems.push(text);
  }

  /** The value, or undefined when unset or empty. */
  optional(name: string): string | undefined {
    const v = this.src.lookup(name);
    return v === '' ? undefined : v;
  }

  str(name: string, fallback: string): string {
    return this.src.lookup(name) ?? fallback;
  }

  /** A value no problem may print (keys, passwords, URLs with credentials). */
  secret(name: string): string | undefined {
    const v = this.optional(name);
    if (v !== undefined) {
      this.src.hide(v, `<${name}>`);
      const password = /^[a-z]+:\/\/[^/:@]*:([^@/]+)@/i.exec(v)?.[1];
      if (password) this.src.hide(password, '***');
    }
    return v;
  }

  int(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problem(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
      return fallback;
    }
    return n;
  }

  duration(name: string, fallback: number): number {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const ms = parseDuration(raw);
    if (ms === undefined) this.problem(`${name} must be a duration like 500ms, 5s, 2m (got ${JSON.stringify(raw)})`);
    return ms ?? fallback;
  }

  /** true/false (also 1/0, yes/no); anything else is a problem. */
  bool(name: string, fallback: boolean): boolean {
    const raw = this.optional(name)?.trim().toLowerCase();
    if (raw === undefined) return fallback;
    if (raw === 'true' || raw === '1' || raw === 'yes') return true;
    if (raw === 'false' || raw === '0' || raw === 'no') return false;
    this.problem(`${name} must be true or false (got ${JSON.stringify(raw)})`);
    return fallback;
  }

  /** One of `allowed` (case-insensitive); anything else is a problem that lists them. */
  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const found = allowed.find((a) => a === raw.trim().toLowerCase());
    if (found === undefined) {
      this.problem(
        `${name} must be one of ${allowed.join(', ')} (got ${JSON.stringify(raw)})${didYouMean(raw, allowed)}`,
      );
    }
    return found ?? fallback;
  }
}
