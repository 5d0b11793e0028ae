import type { Channel } from '../domain/message.ts';
import { EnvReader, readEnv, type EnvSettings } from './env.ts';
import { readConfigFile } from './file.ts';
import { parseProviderSection, type ProviderConfig } from './providers.ts';
import { Sources, type Env } from './sources.ts';
import { readContentConfig, type ContentConfig } from './content.ts';
import { parseRetentionSection, type RetentionPolicy } from './retention.ts';

/**
 * The only reader of process.env and of the providers file (HERALD_CONFIG): environment settings
 * in env.ts, the file in file.ts and providers.ts. Every problem is collected and reported at
 * once; the result is frozen. docs/configuration.md lists every option.
 */

export type { BreakerSettings, RetryPolicy } from './env.ts';
export type { ProviderConfig } from './providers.ts';
export type { RetentionPolicy } from './retention.ts';

export type Config = EnvSettings & {
  /** SMS segment limit, public URL, unsubscribe links, Message-ID domain (config/content.ts). */
  content: ContentConfig;
  providers: ProviderConfig[];
  /** Per channel: provider names in failover order. */
  routes: Partial<Record<Channel, string[]>>;
  /** Days final messages are kept: HERALD_RETENTION_DAYS, and the file's per-channel `retention`. */
  retention: RetentionPolicy;
};

/** Every problem of the configuration, secrets already hidden; `message` lists them. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const src = new Sources(env);
  const r = new EnvReader(src);
  const settings = readEnv(r);
  const file = settings.configFile ? readConfigFile(settings.configFile, src) : {};
  const config: Config = {
    ...settings,
    content: readContentConfig(r, settings),
    ...parseProviderSection(file, settings.worker.retry, src.problems),
    retention: parseRetentionSection(file, settings.retentionDays, src.problems),
  };
  if (src.problems.length > 0) throw new ConfigError(src.redactedProblems());
  return deepFreeze(config);
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
