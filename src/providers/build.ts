import type { Logger } from 'pino';
import type { Config, ProviderConfig } from '../config/config.ts';
import type { Clock } from '../domain/clock.ts';
import type { Channel } from '../domain/message.ts';
import type { Store } from '../store/store.ts';
import { OUTBOX_TYPE } from './outbox/outbox.provider.ts';
import type { Provider } from './provider.ts';
import type { ProviderContext, ReceiptSource } from './registry.ts';
import { PROVIDER_TYPES } from './types.ts';
import type { MailContext } from './email/mail.ts';

export type BuiltProvider = Provider & Partial<ReceiptSource>;

/** The providers of one Herald process, with their configuration and each channel's failover order. */
export interface ProviderSet {
  /** By name; includes the default outboxes. */
  byName: Map<string, { provider: BuiltProvider; config: ProviderConfig }>;
  /** Per channel: provider names in failover order (never empty: the outbox fills a gap). */
  routes: Record<'email' | 'sms', string[]>;
}

/** The name of the default outbox of a channel without providers. */
export function defaultOutboxName(channel: Channel): string {
  return `outbox-${channel}`;
}

/**
 * Builds every configured provider through its type (PROVIDER_TYPES), and an `outbox` provider
 * for each channel that has none, with a warning: nothing of that channel leaves the machine.
 * Config validation has already checked types and options, so a failure here is a bug.
 */
export function buildProviders(deps: {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  mail?: MailContext | undefined;
}): ProviderSet {
  const { config, logger } = deps;
  const ctx: ProviderContext = { config, store: deps.store, clock: deps.clock, logger, mail: deps.mail };
  const byName: ProviderSet['byName'] = new Map();
  for (const cfg of config.providers) {
    const type = PROVIDER_TYPES[cfg.type];
    if (!type)
      throw new Error(`provider ${cfg.name}: unknown type ${cfg.type} (config validation should have caught it)`);
    const provider = type.create(cfg, { ...ctx, logger: logger.child({ provider: cfg.name }) });
    byName.set(cfg.name, { provider, config: cfg });
    if (provider.capabilities.receipts && !provider.capabilities.signedReceipts && !cfg.options.webhookPassword) {
      logger.warn(
        { provider: cfg.name },
        `receipts for ${cfg.name} are taken only with an API key: set webhookPassword (or the provider's signing ` +
          `key) so that the provider itself can post to /v1/providers/${cfg.name}/events`,
      );
    }
  }
  const routes = { email: [...(config.routes.email ?? [])], sms: [...(config.routes.sms ?? [])] };
  for (const channel of ['email', 'sms'] as const) {
    if (routes[channel].length > 0) continue;
    const cfg = outboxConfig(config, channel);
    // A configured provider may already use the name (for the other channel): keep it, rename ours.
    while (byName.has(cfg.name)) cfg.name += '-default';
    byName.set(cfg.name, { provider: PROVIDER_TYPES[OUTBOX_TYPE]!.create(cfg, ctx), config: cfg });
    routes[channel] = [cfg.name];
    logger.warn(
      { channel, provider: cfg.name },
      `no ${channel} provider is configured: ${channel === 'email' ? 'e-mails' : 'SMS'} go to Herald's outbox ` +
        `(GET /v1/outbox) and NOTHING LEAVES THIS MACHINE. Configure a provider in HERALD_CONFIG to send for real.`,
    );
  }
  return { byName, routes };
}

function outboxConfig(config: Config, channel: 'email' | 'sms'): ProviderConfig {
  return {
    name: defaultOutboxName(channel),
    channel,
    type: OUTBOX_TYPE,
    concurrency: 4,
    rateLimit: null,
    timeoutMs: 15_000,
    retry: config.worker.retry,
    options: {},
  };
}

/** Closes every provider (pools, agents); never throws. */
export async function closeProviders(set: ProviderSet, logger: Logger): Promise<void> {
  await Promise.all(
    [...set.byName.values()].map(async ({ provider }) => {
      try {
        await provider.close?.();
      } catch (err) {
        logger.warn({ err, provider: provider.name }, 'provider close failed');
      }
    }),
  );
}
