import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { CHANNELS, type Channel } from '../domain/message.ts';
import { parseDuration } from './durations.ts';
import { parseCidrList, type Cidr } from './cidr.ts';
import { PROVIDER_TYPES } from '../providers/types.ts';
import { keyProblem } from '../auth/api-keys.ts';

/**
 * The only reader of process.env and of the config file (HERALD_CONFIG). Every problem is
 * collected and reported at once; the result is frozen. docs/configuration.md lists every option.
 */

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

/** One configured provider: the common fields, and the type's own options as given. */
export interface ProviderConfig {
  name: string;
  channel: Channel;
  type: string;
  concurrency: number;
  /** Messages per second, or null for no limit. */
  rateLimit: number | null;
  timeoutMs: number;
  retry: RetryPolicy;
  /** Attempts of a message this provider gets before the next provider of its route takes over (default 2). */
  attemptsBeforeFailover?: number;
  /** Type-specific options (url, baseUrl, token, batchSize, …), `${VAR}` already substituted. */
  options: Record<string, unknown>;
}

export interface Config {
  port: number;
  host: string;
  databaseUrl: string;
  apiKey: string | undefined;
  logLevel: string;
  bodyLimitBytes: number;
  postbackDefaultValue: string;
  network: { allowPrivate: boolean; allowCidrs: Cidr[] };
  rpcPort: number | undefined;
  /** Compatibility APIs (seeds 000–002) need the bearer key too (HERALD_COMPAT_AUTH, default true). */
  compatAuth: boolean;
  /** Hard bounces and spam reports put the recipient on the suppression list (HERALD_AUTO_SUPPRESS, default true). */
  autoSuppress: boolean;
  /** Addresses that may call the compatibility APIs without a key (HERALD_COMPAT_ALLOW). */
  compatAllow: Cidr[];
  /** Port of a worker-only process's /metrics, /healthz, /readyz (HERALD_METRICS_PORT; default PORT). */
  metricsPort: number | undefined;
  /** One log line per HTTP request (HERALD_LOG_REQUESTS, default false). */
  logRequests: boolean;
  worker: {
    maxInFlight: number;
    leaseMs: number;
    pollMs: number;
    shutdownTimeoutMs: number;
    retry: RetryPolicy;
    breaker: BreakerSettings;
    webhook: { concurrency: number; timeoutMs: number; maxResponseBytes: number };
  };
  providers: ProviderConfig[];
  /** Per channel: provider names in failover order. */
  routes: Partial<Record<Channel, string[]>>;
  /** Where the provider file came from, for logs. */
  configFile: string | undefined;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export const DEFAULT_RETRY_SCHEDULE = '0,5s,5m,30m,2h,5h,10h,10h';

type Env = Record<string, string | undefined>;

class Reader {
  readonly problems: string[] = [];
  private readonly env: Env;
  constructor(env: Env) {
    this.env = env;
  }
  str(name: string, fallback: string): string {
    return this.env[name] ?? fallback;
  }
  int(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`);
      return fallback;
    }
    return n;
  }
  duration(name: string, fallback: number): number {
    const raw = this.env[name];
    if (raw === undefined || raw === '') return fallback;
    const ms = parseDuration(raw);
    if (ms === undefined)
      this.problems.push(`${name} must be a duration like 500ms, 5s, 2m (got ${JSON.stringify(raw)})`);
    return ms ?? fallback;
  }
}

export function parseSchedule(raw: string | unknown[], where: string, problems: string[]): number[] {
  const parts = Array.isArray(raw) ? raw : raw.split(',');
  const out: number[] = [];
  for (const p of parts) {
    const ms = typeof p === 'string' || typeof p === 'number' ? parseDuration(p) : undefined;
    if (ms === undefined) problems.push(`${where}: ${JSON.stringify(p)} is not a duration`);
    else out.push(ms);
  }
  if (out.length === 0) problems.push(`${where}: the retry schedule is empty`);
  return out;
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const r = new Reader(env);
  const problems = r.problems;
  const scheduleMs = parseSchedule(
    r.str('HERALD_RETRY_SCHEDULE', DEFAULT_RETRY_SCHEDULE),
    'HERALD_RETRY_SCHEDULE',
    problems,
  );
  const retry: RetryPolicy = { scheduleMs, maxAttempts: r.int('HERALD_MAX_ATTEMPTS', scheduleMs.length, 1, 1000) };
  const allow = r.str('HERALD_ALLOW_PRIVATE_NETWORKS', 'false').trim();
  const network = { allowPrivate: allow === 'true', allowCidrs: [] as Cidr[] };
  if (allow !== 'true' && allow !== 'false' && allow !== '') {
    network.allowCidrs = parseCidrList(allow, 'HERALD_ALLOW_PRIVATE_NETWORKS', problems);
  }
  const databaseUrl = r.str('DATABASE_URL', 'sqlite:./data/herald.db');
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    problems.push(
      `DATABASE_URL must be sqlite:<path> or postgres://… (got ${JSON.stringify(databaseUrl.split(':')[0] + ':…')})`,
    );
  }
  const rpcPort = env.HERALD_RPC_PORT ? r.int('HERALD_RPC_PORT', 0, 1, 65535) : undefined;
  const configFile = env.HERALD_CONFIG || undefined;
  const file = configFile ? readConfigFile(configFile, env, problems) : {};
  const { providers, routes } = parseProviderSection(file, retry, problems);
  const config: Config = {
    port: r.int('PORT', 3000, 0, 65535),
    host: r.str('HOST', '0.0.0.0'),
    databaseUrl,
    apiKey: env.HERALD_API_KEY || undefined,
    logLevel: r.str('LOG_LEVEL', 'info'),
    bodyLimitBytes: r.int('HERALD_BODY_LIMIT_BYTES', 5 * 1024 * 1024, 1024),
    postbackDefaultValue: r.str('HERALD_POSTBACK_DEFAULT_VALUE', ''),
    network,
    rpcPort,
    compatAuth: readBool(env, 'HERALD_COMPAT_AUTH', true, problems),
    autoSuppress: readBool(env, 'HERALD_AUTO_SUPPRESS', true, problems),
    compatAllow: parseCidrList(r.str('HERALD_COMPAT_ALLOW', ''), 'HERALD_COMPAT_ALLOW', problems),
    metricsPort: env.HERALD_METRICS_PORT ? r.int('HERALD_METRICS_PORT', 0, 0, 65535) : undefined,
    logRequests: readBool(env, 'HERALD_LOG_REQUESTS', false, problems),
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
      },
      webhook: {
        concurrency: r.int('HERALD_WEBHOOK_CONCURRENCY', 16, 1, 10_000),
        timeoutMs: r.duration('HERALD_WEBHOOK_TIMEOUT_MS', 15_000),
        maxResponseBytes: r.int('HERALD_WEBHOOK_MAX_RESPONSE_BYTES', 64 * 1024, 0),
      },
    },
    providers,
    routes,
    configFile,
  };
  const keyIssue = config.apiKey === undefined ? undefined : keyProblem(config.apiKey);
  if (keyIssue) problems.push(`HERALD_API_KEY ${keyIssue}`);
  if (config.rpcPort !== undefined && config.rpcPort === config.port) {
    problems.push(`HERALD_RPC_PORT must differ from PORT (${config.port}): it is a separate JSON-RPC listener`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

/** Reads YAML or JSON and replaces `${VAR}` with the environment's value (missing: an error). */
export function readConfigFile(path: string, env: Env, problems: string[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    problems.push(`HERALD_CONFIG: cannot read ${path} (${(err as Error).message})`);
    return {};
  }
  text = text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined) problems.push(`${path}: \${${name}} is not set in the environment`);
    return v ?? '';
  });
  try {
    const parsed: unknown = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (parsed == null) return {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) {
      problems.push(`${path}: the top level must be a mapping`);
      return {};
    }
    return parsed as Record<string, unknown>;
  } catch (err) {
    problems.push(`${path}: ${(err as Error).message}`);
    return {};
  }
}

const COMMON_KEYS = new Set([
  'name',
  'channel',
  'type',
  'concurrency',
  'rateLimit',
  'timeoutMs',
  'retrySchedule',
  'maxAttempts',
  'attemptsBeforeFailover',
]);

export function parseProviderSection(
  file: Record<string, unknown>,
  defaultRetry: RetryPolicy,
  problems: string[],
): { providers: ProviderConfig[]; routes: Partial<Record<Channel, string[]>> } {
  const providers: ProviderConfig[] = [];
  const list = file.providers ?? [];
  if (!Array.isArray(list)) {
    problems.push('providers must be a list');
    return { providers, routes: {} };
  }
  const names = new Set<string>();
  list.forEach((raw: unknown, i) => {
    const where = `providers[${i}]`;
    if (typeof raw !== 'object' || raw === null) return void problems.push(`${where} must be a mapping`);
    const p = raw as Record<string, unknown>;
    const name = typeof p.name === 'string' && /^[A-Za-z0-9_.-]+$/.test(p.name) ? p.name : undefined;
    if (!name) problems.push(`${where}.name is required (letters, digits, _ . -)`);
    else if (names.has(name)) problems.push(`${where}.name "${name}" is used twice`);
    else names.add(name);
    const channel = CHANNELS.find((c) => c === p.channel && c !== 'webhook');
    if (!channel) problems.push(`${where}.channel must be email or sms`);
    if (typeof p.type !== 'string') problems.push(`${where}.type is required`);
    const num = (key: string, fallback: number | null, min: number) => {
      const v = p[key];
      if (v === undefined) return fallback;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
        problems.push(`${where}.${key} must be a number ≥ ${min}`);
        return fallback;
      }
      return v;
    };
    const scheduleMs =
      p.retrySchedule === undefined
        ? defaultRetry.scheduleMs
        : parseSchedule(p.retrySchedule as string, `${where}.retrySchedule`, problems);
    const options = Object.fromEntries(Object.entries(p).filter(([k]) => !COMMON_KEYS.has(k)));
    providers.push({
      name: name ?? `#${i}`,
      channel: channel ?? 'email',
      type: String(p.type),
      concurrency: num('concurrency', 8, 1)!,
      rateLimit: num('rateLimit', null, 0.001),
      timeoutMs: num('timeoutMs', 15_000, 1)!,
      retry: { scheduleMs, maxAttempts: num('maxAttempts', defaultRetry.maxAttempts, 1)! },
      attemptsBeforeFailover: Math.floor(num('attemptsBeforeFailover', 2, 1)!),
      options,
    });
    if (name && channel && typeof p.type === 'string') {
      validateProviderOptions(providers[providers.length - 1]!, problems);
    }
  });
  const routes: Partial<Record<Channel, string[]>> = {};
  const rawRoutes = (file.routes ?? {}) as Record<string, unknown>;
  for (const [channel, order] of Object.entries(rawRoutes)) {
    if (channel !== 'email' && channel !== 'sms') {
      problems.push(`routes.${channel}: only email and sms have routes`);
      continue;
    }
    if (!Array.isArray(order) || !order.every((n) => typeof n === 'string')) {
      problems.push(`routes.${channel} must be a list of provider names`);
      continue;
    }
    for (const n of order) {
      const p = providers.find((x) => x.name === n);
      if (!p) problems.push(`routes.${channel}: no provider named "${n}"`);
      else if (p.channel !== channel) problems.push(`routes.${channel}: provider "${n}" is for ${p.channel}`);
    }
    routes[channel] = order;
  }
  // A channel without an explicit route uses its providers in file order.
  for (const channel of ['email', 'sms'] as const) {
    routes[channel] ??= providers.filter((p) => p.channel === channel).map((p) => p.name);
  }
  return { providers, routes };
}

/**
 * Checks a provider's type and its type's own options (PROVIDER_TYPES[type].validate). Only
 * called when the common fields parsed, so a type's check sees a well-formed ProviderConfig.
 */
function validateProviderOptions(cfg: ProviderConfig, problems: string[]): void {
  const where = `providers[${cfg.name}]`;
  // A message's lane is a provider name or a channel route: the route names must stay unambiguous.
  if (cfg.name === 'email' || cfg.name === 'sms') {
    problems.push(`${where}.name "${cfg.name}" is reserved for the channel route`);
  }
  const t = PROVIDER_TYPES[cfg.type];
  if (!t) {
    const known = Object.keys(PROVIDER_TYPES).sort().join(', ');
    problems.push(`${where}.type "${cfg.type}" is not a known provider type (known: ${known})`);
    return;
  }
  if (!t.channels.includes(cfg.channel)) {
    problems.push(`${where}: a ${cfg.type} provider serves ${t.channels.join(' and ')}, not ${cfg.channel}`);
    return;
  }
  t.validate(cfg, problems);
}

/** true/false (also 1/0, yes/no); anything else is a problem. */
function readBool(env: Env, name: string, fallback: boolean, problems: string[]): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  if (raw === 'false' || raw === '0' || raw === 'no') return false;
  problems.push(`${name} must be true or false (got ${JSON.stringify(env[name])})`);
  return fallback;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
