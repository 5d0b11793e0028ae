import { Engagement } from '../../../domain/message.ts';
import type { MessageState } from '../../../domain/states.ts';
import { isRecord } from '../../http-client/http-client.ts';
import type { Receipt } from '../../provider.ts';
import type { ReceiptParse, ReceiptRequest } from '../../registry.ts';
import { parseForm, validTwilioSignature, type FormParams } from './signature.ts';

/** The query parameter Herald adds to StatusCallback so a callback names its message. */
export const HERALD_ID_PARAM = 'herald_id';

/**
 * Twilio's MessageStatus → Herald's state. queued, sending, accepted and scheduled change
 * nothing (they are recorded as events); statuses Twilio adds later are read the same way.
 */
const STATUS: Record<string, { to?: MessageState; engagement?: number }> = {
  sent: { to: 'sent' },
  delivered: { to: 'delivered' },
  undelivered: { to: 'failed' },
  failed: { to: 'failed' },
  canceled: { to: 'failed' },
  // WhatsApp and RCS read receipts: delivered, and opened.
  read: { to: 'delivered', engagement: Engagement.opened },
};

export interface TwilioReceiptOptions {
  authToken: string;
  statusCallbackUrl: string | undefined;
}

/**
 * Checks X-Twilio-Signature over the URL Twilio posted to and every posted parameter, then reads
 * one status callback. The URL is the endpoint's own view of it, and also the configured public
 * `statusCallbackUrl` with the request's query (what Herald gave Twilio, when a proxy rewrites
 * the host).
 */
export function parseTwilioReceipt(req: ReceiptRequest, opts: TwilioReceiptOptions): ReceiptParse {
  const params = formParams(req);
  const urls = [req.url];
  if (opts.statusCallbackUrl) {
    const base = opts.statusCallbackUrl.split('?')[0]!;
    urls.push(base + searchOf(req.url));
  }
  const sig = req.headers['x-twilio-signature'];
  if (!validTwilioSignature(opts.authToken, Array.isArray(sig) ? sig[0] : sig, urls, params))
    return { ok: false, status: 401, code: 'HERALD_BAD_SIGNATURE', message: 'X-Twilio-Signature does not match' };
  const one = (k: string) => {
    const v = params[k];
    return typeof v === 'string' ? v : v?.[0];
  };
  const sid = one('MessageSid') ?? one('SmsSid');
  const status = one('MessageStatus') ?? one('SmsStatus');
  if (!sid || !status)
    return { ok: false, status: 400, code: 'HERALD_BAD_RECEIPT', message: 'MessageSid and MessageStatus are required' };
  const map = STATUS[status] ?? {};
  const code = one('ErrorCode');
  const heraldId = new URLSearchParams(searchOf(req.url)).get(HERALD_ID_PARAM) ?? undefined;
  const receipt: Receipt = {
    messageId: heraldId,
    providerMessageId: sid,
    to: map.to,
    engagement: map.engagement,
    type: `twilio.${status}`,
    reason: map.to === 'failed' ? `Twilio ${status}${code ? ` (ErrorCode ${code})` : ''}` : undefined,
    detail: JSON.stringify(params),
  };
  return { ok: true, receipts: [receipt] };
}

function searchOf(url: string): string {
  const i = url.indexOf('?');
  return i < 0 ? '' : url.slice(i).split('#')[0]!;
}

/** The posted parameters, from the raw body when it is a form (exactly what was signed). */
function formParams(req: ReceiptRequest): FormParams {
  const type = String(req.headers['content-type'] ?? '');
  if (type.startsWith('application/x-www-form-urlencoded') || !isRecord(req.body))
    return parseForm(req.rawBody.toString('utf8'));
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.body)) {
    if (typeof v === 'string') out[k] = v;
    else if (Array.isArray(v)) out[k] = v.map(String);
  }
  return out;
}
