import { Engagement } from '../../../domain/message.ts';
import { isRecord, parseJson } from '../../http-client/http-client.ts';
import type { Receipt } from '../../provider.ts';
import type { ReceiptParse, ReceiptRequest } from '../../registry.ts';
import { heraldIdOf } from '../message-ids.ts';
import { isEnvelope, type SnsVerifier } from './sns.ts';
import type { SesOptions } from './ses.options.ts';

/** The message tag Herald sets (X-SES-MESSAGE-TAGS); SES event publishing echoes it in mail.tags. */
export const SES_TAG = 'herald_id';

export type SesReceiptOptions = Pick<SesOptions, 'topicArns'>;

const bad = (status: 400 | 401 | 403, message: string): ReceiptParse => ({
  ok: false,
  status,
  code: status === 400 ? 'HERALD_BAD_RECEIPT' : 'HERALD_BAD_SIGNATURE',
  message,
});

/**
 * Amazon SES bounce, complaint and delivery notifications through SNS. The SNS signature is
 * checked first; a SubscriptionConfirmation is confirmed (its SubscribeURL fetched) and applies
 * nothing. SES JSON: `notificationType` (notifications) or `eventType` (event publishing).
 */
export async function parseSesNotification(
  req: ReceiptRequest,
  opts: SesReceiptOptions,
  sns: SnsVerifier,
): Promise<ReceiptParse> {
  const env = isRecord(req.body) ? req.body : parseJson(req.rawBody.toString('utf8'));
  if (!isEnvelope(env))
    return bad(400, 'expected an SNS message (Type, MessageId, Message, Signature, SigningCertURL, …)');
  if (opts.topicArns.length > 0 && !opts.topicArns.includes(env.TopicArn))
    return bad(403, `topic ${env.TopicArn} is not one of this provider's topicArns`);
  const problem = await sns.problem(env);
  if (problem) return bad(401, problem);
  if (env.Type === 'SubscriptionConfirmation') {
    try {
      await sns.confirm(env);
    } catch (err) {
      return bad(400, `could not confirm the subscription: ${(err as Error).message}`);
    }
    return { ok: true, receipts: [] };
  }
  if (env.Type !== 'Notification') return { ok: true, receipts: [] }; // UnsubscribeConfirmation: nothing to do
  const ses = parseJson(env.Message);
  if (!isRecord(ses) || !isRecord(ses.mail)) return bad(400, 'the SNS Message is not an SES notification');
  const receipt = sesReceipt(ses);
  return { ok: true, receipts: receipt ? [receipt] : [] };
}

/** One SES notification → one receipt (Herald sends one recipient per message). */
export function sesReceipt(ses: Record<string, unknown>): Receipt | undefined {
  const mail = ses.mail as Record<string, unknown>;
  const raw = ses.notificationType ?? ses.eventType;
  const kind = typeof raw === 'string' ? raw : '';
  const tags = isRecord(mail.tags) ? mail.tags : {};
  const tagged = Array.isArray(tags[SES_TAG]) ? String((tags[SES_TAG] as unknown[])[0]) : undefined;
  const headerId = Array.isArray(mail.headers)
    ? mail.headers.find((h) => isRecord(h) && String(h.name).toLowerCase() === 'x-herald-id')
    : undefined;
  const common = isRecord(mail.commonHeaders) ? mail.commonHeaders : {};
  const messageId =
    tagged ??
    (isRecord(headerId) ? String(headerId.value) : undefined) ??
    heraldIdOf(typeof common.messageId === 'string' ? common.messageId : undefined);
  const base = {
    messageId,
    providerMessageId: typeof mail.messageId === 'string' ? mail.messageId : undefined,
    type: `ses.${kind.toLowerCase()}`,
    detail: JSON.stringify(ses),
  };
  switch (kind) {
    case 'Delivery':
      return { ...base, to: 'delivered' };
    case 'Bounce': {
      const b = isRecord(ses.bounce) ? ses.bounce : {};
      const first =
        Array.isArray(b.bouncedRecipients) && isRecord(b.bouncedRecipients[0]) ? b.bouncedRecipients[0] : {};
      const reason = [b.bounceType, b.bounceSubType, first.diagnosticCode]
        .filter((x) => typeof x === 'string')
        .join(': ');
      // Permanent: the address is bad (suppressed). Transient/Undetermined: this message failed.
      return { ...base, to: b.bounceType === 'Permanent' ? 'bounced' : 'failed', reason };
    }
    case 'Complaint':
      return { ...base, engagement: Engagement.spam };
    default: // Send, Reject, Open, Click, DeliveryDelay, …: recorded only when they name a message
      if (kind === 'Open') return { ...base, engagement: Engagement.opened };
      if (kind === 'Click') return { ...base, engagement: Engagement.clicked };
      return undefined;
  }
}
