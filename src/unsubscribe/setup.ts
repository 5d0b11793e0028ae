import type { Config } from '../config/config.ts';
import type { Clock } from '../domain/clock.ts';
import type { MailContext } from '../providers/email/mail.ts';
import type { Store } from '../store/store.ts';
import { unsubscribeHeaders } from './links.ts';
import { UnsubscribeService } from './service.ts';
import { newSecret, UnsubscribeTokens } from './tokens.ts';

export interface UnsubscribeKit {
  tokens: UnsubscribeTokens;
  service: UnsubscribeService;
  /** What e-mail providers build mails with: Message-ID domain and List-Unsubscribe headers. */
  mail: MailContext;
}

/**
 * The signing secret is HERALD_UNSUBSCRIBE_SECRET(_FILE), else one generated on first start and
 * kept in the database, so every process and every restart signs and checks with the same key.
 */
export async function createUnsubscribeKit(config: Config, store: Store, clock: Clock): Promise<UnsubscribeKit> {
  const secret =
    config.content.unsubscribeSecret ??
    (await store.settings.getOrCreate('unsubscribe-secret', newSecret, clock.now()));
  const tokens = new UnsubscribeTokens(secret, config.content.unsubscribeTtlMs, clock);
  return {
    tokens,
    service: new UnsubscribeService({ store, clock }),
    mail: {
      messageIdDomain: config.content.messageIdDomain,
      unsubscribeHeaders: (m) => unsubscribeHeaders(m, tokens, config.content),
    },
  };
}
