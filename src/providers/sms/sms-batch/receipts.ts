import type { MessageState } from '../../../domain/states.ts';
import { isRecord, parseJson } from '../../http-client/http-client.ts';
import type { Receipt } from '../../provider.ts';
import type { ReceiptParse, ReceiptRequest } from '../../registry.ts';
import { verifySmsBatch } from './signing.ts';

/** Status updates as docs/providers/sms-batch.md defines them. */
const STATUS_TO_STATE: Record<string, MessageState> = {
  CONFIRMED: 'sent',
  DELIVERED: 'delivered',
  FAILED: 'failed',
};

export interface ReceiptOptions {
  webhookSecret: string | undefined;
  webhookToleranceSec: number;
}

function header(req: ReceiptRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Checks the signature (when a secret is configured), then reads `{"updates":[…]}`. */
export function parseSmsBatchReceipts(req: ReceiptRequest, opts: ReceiptOptions, nowMs: number): ReceiptParse {
  if (opts.webhookSecret) {
    const check = verifySmsBatch(
      opts.webhookSecret,
      header(req, 'x-smsbatch-signature'),
      header(req, 'x-smsbatch-timestamp'),
      req.rawBody,
      nowMs,
      opts.webhookToleranceSec,
    );
    if (!check.ok) return { ok: false, status: 401, code: 'HERALD_BAD_SIGNATURE', message: check.why };
  }
  const body = isRecord(req.body) ? req.body : parseJson(req.rawBody.toString('utf8'));
  const updates = isRecord(body) ? body.updates : undefined;
  if (!Array.isArray(updates) || updates.length === 0)
    return bad('the body must be {"updates": [ … ]} with at least one update');
  const receipts: Receipt[] = [];
  for (const [i, u] of updates.entries()) {
    if (!isRecord(u) || typeof u.id !== 'string' || typeof u.status !== 'string')
      return bad(`updates[${i}] needs a string id and status`);
    const to = STATUS_TO_STATE[u.status];
    if (!to) return bad(`updates[${i}].status ${JSON.stringify(u.status)} is not CONFIRMED, FAILED or DELIVERED`);
    const error = isRecord(u.error) ? u.error : undefined;
    receipts.push({
      // Only Herald's id: a batch id names many messages, so it must not be used to find one.
      messageId: u.id,
      to,
      type: `sms-batch.${u.status.toLowerCase()}`,
      reason: error ? [error.code, error.message].filter((x) => typeof x === 'string').join(': ') : undefined,
      detail: JSON.stringify(u),
    });
  }
  return { ok: true, receipts };
}

function bad(message: string): ReceiptParse {
  return { ok: false, status: 400, code: 'HERALD_BAD_RECEIPT', message };
}
