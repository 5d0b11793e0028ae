/**
 * Who may post receipts for a provider, and to which messages they apply (issue 9). Message ids
 * are not secrets (webhook receivers see them), so a receipt is taken only through a check that
 * only the provider (or an operator) can pass, and only for messages that provider carried.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ProviderConfig } from '../../config/config.ts';
import type { Message } from '../../domain/message.ts';
import { laneReaches } from '../../domain/lanes.ts';
import { AppError } from '../../errors/app-error.ts';
import type { BuiltProvider, ProviderSet } from '../build.ts';
import type { ReceiptRequest } from '../registry.ts';
import { checkWebhookPassword } from './generic.ts';

/** The API-key check of the native API: app.ts passes plugins/auth.ts `requireScope(req, 'providers')`. */
export type Authenticate = (req: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** How a provider's receipts are checked. */
export type ReceiptCheck = 'signature' | 'password' | 'api-key';

export function receiptCheck(entry: { provider: BuiltProvider; config: ProviderConfig }): ReceiptCheck {
  // The provider's own parser verifies a signature (Twilio always; SendGrid and sms-batch with their key or secret).
  if (entry.provider.capabilities.signedReceipts) return 'signature';
  const password = entry.config.options.webhookPassword;
  return typeof password === 'string' && password !== '' ? 'password' : 'api-key';
}

/**
 * Lets the request through, or throws: signed receipts are checked by the provider's parser;
 * `webhookPassword` is basic auth (any user name); anything else (the generic `{ID, STATUS}`
 * format of the default outboxes, or a provider without a key or password) needs an API key.
 */
export async function authorizeReceipt(
  check: ReceiptCheck,
  entry: { config: ProviderConfig },
  rr: ReceiptRequest,
  req: FastifyRequest,
  reply: FastifyReply,
  authenticate: Authenticate,
): Promise<void> {
  switch (check) {
    case 'signature':
      return;
    case 'password':
      if (checkWebhookPassword(rr, String(entry.config.options.webhookPassword))) return;
      reply.header('www-authenticate', `Basic realm="herald-${entry.config.name}"`);
      throw new AppError('HERALD_BAD_SIGNATURE');
    case 'api-key':
      // The one place receipts meet API keys: a key with the `providers` scope (app.ts).
      reply.header('www-authenticate', 'Bearer');
      await authenticate(req, reply);
      reply.removeHeader('www-authenticate');
      return;
  }
}

/**
 * Whether `name` carried a message: it is the provider on record after an attempt, or the message
 * is being sent on a lane that reaches it (a fast receipt can arrive before the worker records
 * the hand-over). An SMS id posted to an e-mail provider, or a message still queued, is refused.
 */
export function carriedBy(set: ProviderSet, name: string, channel: string): (m: Message) => boolean {
  return (m) =>
    m.channel === channel &&
    ((m.provider === name && m.attempts > 0) || (m.state === 'sending' && laneReaches(m.lane, name, set.routes)));
}
