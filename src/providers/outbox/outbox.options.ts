import type { ProviderSchema } from '../options.ts';

export const OUTBOX_TYPE = 'outbox';

/** The outbox takes no options of its own (docs/providers/outbox.md). */
export const outboxSchema: ProviderSchema = {
  type: OUTBOX_TYPE,
  channels: ['email', 'sms'],
  validate(cfg, problems) {
    for (const key of Object.keys(cfg.options))
      problems.push(`providers[${cfg.name}].${key}: the outbox provider takes no option "${key}"`);
  },
};
