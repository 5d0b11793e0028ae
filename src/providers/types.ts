import { PROVIDER_TYPES, type ProviderType } from './registry.ts';
import { httpEmailType } from './email/http/http.provider.ts';
import { smtpType } from './email/smtp/smtp.provider.ts';
import { outboxType } from './outbox/outbox.provider.ts';
import { sendgridType } from './email/sendgrid/sendgrid.provider.ts';
import { fbrqType } from './sms/fbrq/fbrq.provider.ts';
import { smsBatchType } from './sms/sms-batch/sms-batch.provider.ts';
import { twilioType } from './sms/twilio/twilio.provider.ts';
import { sesType } from './email/ses/ses.provider.ts';
import { mailgunType } from './email/mailgun/mailgun.provider.ts';
import { postmarkType } from './email/postmark/postmark.provider.ts';

/**
 * Every provider adapter, registered by type name. Add one import and one entry per adapter
 * (each lives in its own folder: src/providers/email/<type>/, src/providers/sms/<type>/).
 */
const ALL: ProviderType[] = [outboxType, smtpType, httpEmailType, fbrqType, smsBatchType, twilioType, sendgridType];
// SMTP relays with their own receipts (issue 15).
ALL.push(sesType, mailgunType, postmarkType);

for (const t of ALL) PROVIDER_TYPES[t.type] = t;

export { PROVIDER_TYPES };
