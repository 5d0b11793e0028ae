import type { KeyObject } from 'node:crypto';
import { Engagement } from '../../../domain/message.ts';
import type { MessageState } from '../../../domain/states.ts';
import { isRecord, parseJson } from '../../http-client/http-client.ts';
import type { Receipt } from '../../provider.ts';
import type { ReceiptParse, ReceiptRequest } from '../../registry.ts';
import { verifyEventSignature } from './event-signature.ts';

/** The custom arg Herald puts on each personalization; SendGrid echoes it on every event. */
export const HERALD_ID_ARG = 'herald_id';

/**
 * SendGrid event → Herald. `processed` and `deferred` are progress (events only); a `blocked`
 * bounce is the receiving server refusing this message (reputation, content), not a bad address,
 * so it is `failed` rather than `bounced`. Engagement never changes the state.
 */
function mapEvent(ev: Record<string, unknown>): { to?: MessageState; engagement?: number; reason?: string } {
  const why = (...keys: string[]) =>
    keys
      .map((k) => ev[k])
      .filter((v) => typeof v === 'string' || typeof v === 'number')
      .join(' ') || undefined;
  switch (ev.event) {
    case 'delivered':
      return { to: 'delivered' };
    case 'bounce':
      return { to: ev.type === 'blocked' ? 'failed' : 'bounced', reason: why('status', 'reason') };
    case 'dropped':
      return { to: 'failed', reason: why('reason') };
    case 'open':
      return { engagement: Engagement.opened };
    case 'click':
      return { engagement: Engagement.clicked };
    case 'spamreport':
      return { engagement: Engagement.spam };
    case 'unsubscribe':
    case 'group_unsubscribe':
      return { engagement: Engagement.unsubscribed };
    default: // processed, deferred, group_resubscribe, and whatever SendGrid adds
      return {};
  }
}

const SIG = 'x-twilio-email-event-webhook-signature';
const TS = 'x-twilio-email-event-webhook-timestamp';

/**
 * Checks the signature when a public key is configured, then reads the JSON array of events.
 * Events without Herald's `herald_id` custom arg are skipped: they belong to mail that Herald did
 * not send (a shared SendGrid account), and the X-Message-Id alone cannot tell apart the
 * messages of one batched request.
 */
export function parseSendgridEvents(req: ReceiptRequest, key: KeyObject | undefined): ReceiptParse {
  if (key) {
    const h = (n: string) => {
      const v = req.headers[n];
      return Array.isArray(v) ? v[0] : v;
    };
    if (!verifyEventSignature(key, h(SIG), h(TS), req.rawBody))
      return {
        ok: false,
        status: 401,
        code: 'HERALD_BAD_SIGNATURE',
        message: 'the event webhook signature is not valid',
      };
  }
  const events = Array.isArray(req.body) ? req.body : parseJson(req.rawBody.toString('utf8'));
  if (!Array.isArray(events))
    return { ok: false, status: 400, code: 'HERALD_BAD_RECEIPT', message: 'expected a JSON array of events' };
  const receipts: Receipt[] = [];
  for (const ev of events) {
    if (!isRecord(ev) || typeof ev.event !== 'string') continue;
    const id = ev[HERALD_ID_ARG];
    if (typeof id !== 'string' || id === '') continue;
    const m = mapEvent(ev);
    receipts.push({
      messageId: id,
      to: m.to,
      engagement: m.engagement,
      type: `sendgrid.${ev.event}`,
      reason: m.reason,
      detail: JSON.stringify(ev),
    });
  }
  return { ok: true, receipts };
}
