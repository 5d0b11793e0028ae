import { PROVIDER_TYPES, type ProviderType } from './registry.ts';
import { httpEmailType } from './email/http/http.provider.ts';
import { smtpType } from './email/smtp/smtp.provider.ts';
import { outboxType } from './outbox/outbox.provider.ts';

/**
 * Every provider adapter, registered by type name. Add one import and one entry per adapter
 * (each lives in its own folder: src/providers/email/<type>/, src/providers/sms/<type>/).
 */
const ALL: ProviderType[] = [outboxType, smtpType, httpEmailType];

for (const t of ALL) PROVIDER_TYPES[t.type] = t;

export { PROVIDER_TYPES };
