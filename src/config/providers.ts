import type { Channel } from '../domain/message.ts';
import { COMMON_PROVIDER_KEYS } from '../providers/options.ts';
import { PROVIDER_SCHEMAS } from '../providers/schemas.ts';
import { parseSchedule } from './durations.ts';
import type { RetryPolicy } from './env.ts';
import { isMapping } from './file.ts';
import { didYouMean } from './suggest.ts';

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

export interface ProviderSection {
  providers: ProviderConfig[];
  /** Per channel: provider names in failover order. */
  routes: Partial<Record<Channel, string[]>>;
}

const ROUTED = ['email', 'sms'] as const;

/**
 * The `providers` and `routes` sections of the providers file. Each provider's common fields are
 * read here, its own options by its type's schema (src/providers/schemas.ts): no adapter is loaded.
 */
export function parseProviderSection(
  file: Record<string, unknown>,
  defaultRetry: RetryPolicy,
  problems: string[],
): ProviderSection {
  const list = file.providers ?? [];
  if (!Array.isArray(list)) {
    problems.push('providers must be a list of providers (each a mapping with name, channel, type, …)');
    return { providers: [], routes: {} };
  }
  const providers: ProviderConfig[] = [];
  const names = new Set<string>();
  list.forEach((raw: unknown, i) => {
    if (!isMapping(raw)) return void problems.push(`providers[${i}] must be a mapping (name, channel, type, …)`);
    const cfg = readCommonFields(raw, i, defaultRetry, problems);
    if (cfg.name === undefined) problems.push(`providers[${i}].name is required (letters, digits, _ . -)`);
    else if (names.has(cfg.name)) problems.push(`providers[${i}].name "${cfg.name}" is used twice`);
    else names.add(cfg.name);
    const provider = { ...cfg, name: cfg.name ?? `#${i}`, channel: cfg.channel ?? 'email' };
    providers.push(provider);
    if (cfg.name && cfg.channel && typeof raw.type === 'string') validateProviderOptions(provider, problems);
  });
  return { providers, routes: parseRoutes(file.routes, providers, problems) };
}

function readCommonFields(p: Record<string, unknown>, i: number, defaultRetry: RetryPolicy, problems: string[]) {
  const name = typeof p.name === 'string' && /^[A-Za-z0-9_.-]+$/.test(p.name) ? p.name : undefined;
  const where = `providers[${name ?? i}]`;
  const channel = ROUTED.find((c) => c === p.channel);
  if (!channel) problems.push(`${where}.channel must be email or sms${didYouMean(String(p.channel), ROUTED)}`);
  if (typeof p.type !== 'string') problems.push(`${where}.type is required`);
  const num = (key: string, fallback: number | null, min: number) => {
    const v = p[key];
    if (v === undefined) return fallback;
    // A `${VAR}` substitution leaves a string: "8" is as good as 8.
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min) {
      problems.push(`${where}.${key} must be a number ≥ ${min}`);
      return fallback;
    }
    return n;
  };
  const scheduleMs =
    p.retrySchedule === undefined
      ? defaultRetry.scheduleMs
      : parseSchedule(p.retrySchedule, `${where}.retrySchedule`, problems);
  return {
    name,
    channel,
    type: String(p.type),
    concurrency: num('concurrency', 8, 1)!,
    rateLimit: num('rateLimit', null, 0.001),
    timeoutMs: num('timeoutMs', 15_000, 1)!,
    retry: { scheduleMs, maxAttempts: num('maxAttempts', defaultRetry.maxAttempts, 1)! },
    attemptsBeforeFailover: Math.floor(num('attemptsBeforeFailover', 2, 1)!),
    options: Object.fromEntries(Object.entries(p).filter(([k]) => !COMMON_PROVIDER_KEYS.includes(k))),
  };
}

/**
 * Checks a provider's type and its type's own options (PROVIDER_SCHEMAS[type].validate). Only
 * called when the common fields parsed, so a type's check sees a well-formed ProviderConfig.
 */
function validateProviderOptions(cfg: ProviderConfig, problems: string[]): void {
  const where = `providers[${cfg.name}]`;
  // A message's lane is a provider name or a channel route: the route names must stay unambiguous.
  if (cfg.name === 'email' || cfg.name === 'sms') {
    problems.push(`${where}.name "${cfg.name}" is reserved for the channel route`);
  }
  const schema = PROVIDER_SCHEMAS[cfg.type];
  if (!schema) {
    const known = Object.keys(PROVIDER_SCHEMAS).sort();
    problems.push(
      `${where}.type "${cfg.type}" is not a known provider type (known: ${known.join(', ')})${didYouMean(cfg.type, known)}`,
    );
    return;
  }
  if (!schema.channels.includes(cfg.channel)) {
    problems.push(`${where}: a ${cfg.type} provider serves ${schema.channels.join(' and ')}, not ${cfg.channel}`);
    return;
  }
  schema.validate(cfg, problems);
}

/** `routes`: per channel, provider names in failover order; a channel without one uses file order. */
function parseRoutes(raw: unknown, providers: ProviderConfig[], problems: string[]): ProviderSection['routes'] {
  const routes: ProviderSection['routes'] = {};
  if (raw !== undefined && !isMapping(raw)) problems.push('routes must be a mapping: email: [names], sms: [names]');
  for (const [channel, order] of Object.entries(isMapping(raw) ? raw : {})) {
    if (channel !== 'email' && channel !== 'sms') {
      problems.push(`routes.${channel}: only email and sms have routes${didYouMean(channel, ROUTED)}`);
      continue;
    }
    if (!Array.isArray(order) || !order.every((n) => typeof n === 'string')) {
      problems.push(`routes.${channel} must be a list of provider names`);
      continue;
    }
    for (const n of order) {
      const p = providers.find((x) => x.name === n);
      if (!p) {
        const names = providers.map((x) => x.name);
        problems.push(`routes.${channel}: no provider named "${n}"${didYouMean(n, names)}`);
      } else if (p.channel !== channel) problems.push(`routes.${channel}: provider "${n}" is for ${p.channel}`);
    }
    routes[channel] = order;
  }
  for (const channel of ROUTED) {
    routes[channel] ??= providers.filter((p) => p.channel === channel).map((p) => p.name);
  }
  return routes;
}
