import { createHmac, timingSafeEqual } from 'node:crypto';
import { Engagement, type EmailExtras } from '../../../domain/message.ts';
import { isRecord, parseJson } from '../../http-client/http-client.ts';
import type { Receipt } from '../../provider.ts';
import type { ReceiptParse, ReceiptRequest } from '../../registry.ts';
import { heraldIdOf } from '../message-ids.ts';
import type { MailgunOptions } from './mailgun.options.ts';

/** The user variable Herald sets (X-Mailgun-Variables); Mailgun echoes it in `user-variables`. */
export const MAILGUN_VAR = 'herald_id';

export type MailgunReceiptOptions = Pick<MailgunOptions, 'signingKey' | 'toleranceSec'>;

const bad = (status: 400 | 401, message: string): ReceiptParse => ({
  ok: false,
  status,
  code: status === 400 ? 'HERALD_BAD_RECEIPT' : 'HERALD_BAD_SIGNATURE',
  message,
});

/** hex HMAC-SHA256(signing key, timestamp + token), compared in constant time. */
export function validMailgunSignature(key: string, timestamp: string, token: string, signature: string): boolean {
  const want = Buffer.from(
    createHmac('sha256', key)
      .update(timestamp + token)
      .digest('hex'),
  );
  const given = Buffer.from(signature);
  return want.length === given.length && timingSafeEqual(want, given);
}

/**
 * Mailgun webhooks (JSON: `{signature: {timestamp, token, signature}, "event-data": {…}}`): the
 * signature and its age are checked, then the event maps to a state: delivered; failed with
 * severity permanent → bounced when the address is bad, else failed; temporary failures change
 * nothing; complained → spam; opened, clicked, unsubscribed → engagement.
 */
export function parseMailgunEvent(req: ReceiptRequest, opts: MailgunReceiptOptions, nowMs: number): ReceiptParse {
  const body = isRecord(req.body) ? req.body : parseJson(req.rawBody.toString('utf8'));
  if (!isRecord(body) || !isRecord(body.signature) || !isRecord(body['event-data']))
    return bad(400, 'expected {"signature": {…}, "event-data": {…}}');
  const { timestamp, token, signature } = body.signature;
  if (typeof timestamp !== 'string' || typeof token !== 'string' || typeof signature !== 'string')
    return bad(401, 'signature.timestamp, token and signature are required');
  if (!validMailgunSignature(opts.signingKey, timestamp, token, signature))
    return bad(401, 'the Mailgun signature does not match');
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > opts.toleranceSec)
    return bad(401, `the signed timestamp is more than ${opts.toleranceSec} s from now`);
  const receipt = mailgunReceipt(body['event-data']);
  return { ok: true, receipts: receipt ? [receipt] : [] };
}

export function mailgunReceipt(ev: Record<string, unknown>): Receipt | undefined {
  const vars = isRecord(ev['user-variables']) ? ev['user-variables'] : {};
  const message = isRecord(ev.message) ? ev.message : {};
  const headers = isRecord(message.headers) ? message.headers : {};
  const mid = typeof headers['message-id'] === 'string' ? headers['message-id'] : undefined;
  const base = {
    messageId: (typeof vars[MAILGUN_VAR] === 'string' ? vars[MAILGUN_VAR] : undefined) ?? heraldIdOf(mid),
    providerMessageId: mid,
    type: `mailgun.${String(ev.event)}`,
    detail: JSON.stringify(ev),
  };
  const status = isRecord(ev['delivery-status']) ? ev['delivery-status'] : {};
  const why = [status.code, status.message || status.description, ev.reason]
    .filter((x) => (typeof x === 'string' && x) || typeof x === 'number')
    .join(' ');
  switch (ev.event) {
    case 'delivered':
      return { ...base, to: 'delivered' };
    case 'failed':
      if (ev.severity !== 'permanent') return { ...base }; // Mailgun retries temporary failures itself
      // `bounce` and `suppress-bounce`: the address bounced; other reasons (old, espblock, …) are this message's.
      return { ...base, to: String(ev.reason).includes('bounce') ? 'bounced' : 'failed', reason: why || undefined };
    case 'complained':
      return { ...base, engagement: Engagement.spam };
    case 'opened':
      return { ...base, engagement: Engagement.opened };
    case 'clicked':
      return { ...base, engagement: Engagement.clicked };
    case 'unsubscribed':
      return { ...base, engagement: Engagement.unsubscribed };
    default: // accepted, stored, …
      return { ...base };
  }
}

/** The header that makes Mailgun echo Herald's id in every event. */
export function mailgunHeaders(m: { id: string; email?: EmailExtras | null }): Record<string, string> {
  return { 'X-Mailgun-Variables': JSON.stringify({ [MAILGUN_VAR]: m.id }) };
}
