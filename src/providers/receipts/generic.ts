import { timingSafeEqual } from 'node:crypto';
import type { MessageState } from '../../domain/states.ts';
import type { Receipt } from '../provider.ts';
import type { ReceiptParse, ReceiptRequest } from '../registry.ts';

/** Seed 000's statuses and the state each one means. REJECTED: the receiving side refused it. */
export const GENERIC_STATUSES: Record<string, MessageState> = {
  DELIVERED: 'delivered',
  REJECTED: 'bounced',
  FAILED: 'failed',
};

/**
 * The generic receipt format of seed 000 (the mailing microservice's /status-webhook):
 * `{"ID": "<Herald message id>", "STATUS": "DELIVERED" | "REJECTED" | "FAILED"}`, one object or
 * an array of them. Any problem rejects the whole request (400): nothing is applied.
 */
export function parseGenericReceipts(body: unknown): ReceiptParse {
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) return bad('an empty list has no receipts');
  const receipts: Receipt[] = [];
  for (const [i, item] of items.entries()) {
    const where = Array.isArray(body) ? `[${i}]` : 'the body';
    if (typeof item !== 'object' || item === null) return bad(`${where} must be an object {"ID": …, "STATUS": …}`);
    const o = item as Record<string, unknown>;
    const id = o.ID ?? o.id;
    const status = o.STATUS ?? o.status;
    if (typeof id !== 'string' || id === '') return bad(`${where}: ID must be a non-empty string`);
    const to = typeof status === 'string' ? GENERIC_STATUSES[status.toUpperCase()] : undefined;
    if (!to) return bad(`${where}: STATUS must be one of ${Object.keys(GENERIC_STATUSES).join(', ')}`);
    receipts.push({
      messageId: id,
      to,
      type: `receipt.${String(status).toLowerCase()}`,
      reason: to === 'delivered' ? undefined : `provider reported ${String(status).toUpperCase()}`,
      detail: JSON.stringify(item).slice(0, 2048),
    });
  }
  return { ok: true, receipts };
}

function bad(message: string): ReceiptParse {
  return { ok: false, status: 400, code: 'HERALD_BAD_RECEIPT', message };
}

/**
 * Basic auth as postmaster's --webhook-pass (seed 001): any user name, this password. Compared
 * in constant time. Answers true when the request may pass.
 */
export function checkWebhookPassword(req: Pick<ReceiptRequest, 'headers'>, password: string): boolean {
  const header = req.headers.authorization;
  const m = typeof header === 'string' ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const given = Buffer.from(decoded.slice(colon + 1));
  const want = Buffer.from(password);
  return given.length === want.length && timingSafeEqual(given, want);
}
