import type { Clock } from '../../domain/clock.ts';
import type { Channel, Message } from '../../domain/message.ts';
import { coerceError } from '../../errors/app-error.ts';
import type { KyselyOutboxRepo } from '../../store/outbox.repo.ts';
import type { Store } from '../../store/store.ts';
import type { DeliveryResult, Provider, ProviderCapabilities } from '../provider.ts';
import type { ProviderType } from '../registry.ts';
import { OUTBOX_TYPE, outboxSchema } from './outbox.options.ts';

export { OUTBOX_TYPE };

/**
 * A development mail catcher: e-mails and SMS are "delivered" into Herald's own `outbox` table,
 * readable at GET /v1/outbox. Nothing leaves the machine. It is the default for a channel that
 * has no configured provider, so a plain `npm start` works end to end.
 */
export class OutboxProvider implements Provider {
  readonly name: string;
  readonly type = OUTBOX_TYPE;
  readonly channel: Channel;
  readonly capabilities: ProviderCapabilities = { maxBatch: 100, lingerMs: 0, receipts: false, signedReceipts: false };
  private readonly repo: KyselyOutboxRepo;
  private readonly clock: Clock;

  constructor(name: string, channel: Channel, store: Store, clock: Clock) {
    this.name = name;
    this.channel = channel;
    this.repo = store.outbox;
    this.clock = clock;
  }

  async send(batch: readonly Message[], _signal: AbortSignal): Promise<DeliveryResult[]> {
    const now = this.clock.now();
    try {
      await this.repo.insertMany(
        batch.map((m) => ({
          id: m.id,
          channel: m.channel,
          provider: this.name,
          recipient: m.recipient,
          sender: m.sender,
          subject: m.subject,
          text: m.text,
          html: m.html,
          metadata: m.metadata,
          createdAt: now,
        })),
      );
    } catch (err) {
      const reason = `outbox write failed: ${coerceError(err).message}`;
      return batch.map(() => ({ ok: false, retry: 'transient', blame: 'provider', reason }));
    }
    return batch.map((m) => ({ ok: true, state: 'delivered', providerMessageId: `outbox-${m.id}` }));
  }
}

export const outboxType: ProviderType = {
  ...outboxSchema,
  create: (cfg, ctx) => new OutboxProvider(cfg.name, cfg.channel, ctx.store, ctx.clock),
};
