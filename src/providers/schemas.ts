import type { ProviderSchema } from './options.ts';
import { httpEmailSchema } from './email/http/http.options.ts';
import { sendgridSchema } from './email/sendgrid/sendgrid.options.ts';
import { smtpSchema } from './email/smtp/smtp.options.ts';
import { outboxSchema } from './outbox/outbox.options.ts';
import { fbrqSchema } from './sms/fbrq/fbrq.options.ts';
import { smsBatchSchema } from './sms/sms-batch/sms-batch.options.ts';
import { twilioSchema } from './sms/twilio/twilio.options.ts';
import { sesSchema } from './email/ses/ses.options.ts';
import { mailgunSchema } from './email/mailgun/mailgun.options.ts';
import { postmarkSchema } from './email/postmark/postmark.options.ts';

/**
 * The options of every provider type, by type name: what the configuration checks a provider
 * against. No adapter is imported here (they are in types.ts), so loading the configuration
 * loads no client library. A new adapter adds its `<type>.options.ts` here and its
 * `<type>.provider.ts` to types.ts; schemas.test.ts keeps the two lists in step.
 */
export const PROVIDER_SCHEMAS: Readonly<Record<string, ProviderSchema>> = Object.fromEntries(
  [
    ...[outboxSchema, smtpSchema, httpEmailSchema, fbrqSchema, smsBatchSchema, twilioSchema, sendgridSchema],
    // SMTP relays with their own receipts (issue 15).
    ...[sesSchema, mailgunSchema, postmarkSchema],
  ].map((s) => [s.type, s]),
);
