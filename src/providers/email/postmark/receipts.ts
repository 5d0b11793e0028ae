import { Engagement } from '../../../domain/message.ts';
import type { MessageState } from '../../../domain/states.ts';
import { isRecord, parseJson } from '../../http-client/http-client.ts';
import type { Receipt } from '../../provider.ts';
import type { ReceiptParse, ReceiptRequest } from '../../registry.ts';
import { checkWebhookPassword } from '../../receipts/generic.ts';

/** The metadata key Herald sets (X-PM-Metadata-herald_id); Postmark echoes it in `Metadata`. */
export const POSTMARK_META = 'herald_id';

/** Postmark bounce types that mean the address is bad (suppressed); every other bounce fails only the message. */
const HARD_BOUNCES = new Set(['HardBounce', 'BadEmailAddress', 'ManuallyDeactivated']);

/**
 * Postmark webhooks behind basic auth (the URL `https://user:password@…/events` in Postmark's
 * settings; any user, the configured webhookPassword). RecordType: Delivery → delivered;
 * Bounce → bounced for hard bounce types, else failed; SpamComplaint → spam; Open, Click →
 * engagement; SubscriptionChange with SuppressSending → unsubscribed.
 */
export function parsePostmarkWebhook(req: ReceiptRequest, password: string | undefined): ReceiptParse {
  if (password !== undefined && !checkWebhookPassword(req, password))
    return {
      ok: false,
      status: 401,
      code: 'HERALD_BAD_SIGNATURE',
      message: 'basic auth does not match webhookPassword',
    };
  const body = isRecord(req.body) ? req.body : parseJson(req.rawBody.toString('utf8'));
  if (!isRecord(body) || typeof body.RecordType !== 'string')
    return {
      ok: false,
      status: 400,
      code: 'HERALD_BAD_RECEIPT',
      message: 'expected a Postmark webhook with RecordType',
    };
  const r = postmarkReceipt(body);
  return { ok: true, receipts: r ? [r] : [] };
}

export function postmarkReceipt(ev: Record<string, unknown>): Receipt | undefined {
  const meta = isRecord(ev.Metadata) ? ev.Metadata : {};
  const base = {
    messageId: typeof meta[POSTMARK_META] === 'string' ? meta[POSTMARK_META] : undefined,
    providerMessageId: typeof ev.MessageID === 'string' ? ev.MessageID : undefined,
    type: `postmark.${String(ev.RecordType).toLowerCase()}`,
    detail: JSON.stringify(ev),
  };
  switch (ev.RecordType) {
    case 'Delivery':
      return { ...base, to: 'delivered' };
    case 'Bounce': {
      const type = typeof ev.Type === 'string' ? ev.Type : '';
      if (type === 'SpamComplaint') return { ...base, engagement: Engagement.spam };
      const to: MessageState = HARD_BOUNCES.has(type) ? 'bounced' : 'failed';
      const reason = [type, ev.Description, ev.Details].filter((x) => typeof x === 'string' && x).join(': ');
      return { ...base, to, reason };
    }
    case 'SpamComplaint':
      return { ...base, engagement: Engagement.spam };
    case 'Open':
      return { ...base, engagement: Engagement.opened };
    case 'Click':
      return { ...base, engagement: Engagement.clicked };
    case 'SubscriptionChange':
      return ev.SuppressSending === true ? { ...base, engagement: Engagement.unsubscribed } : { ...base };
    default:
      return undefined;
  }
}
