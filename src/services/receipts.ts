import type { Clock } from '../domain/clock.ts';
import type { Message } from '../domain/message.ts';
import type { MessageState } from '../domain/states.ts';
import type { Receipt } from '../providers/provider.ts';
import type { Store } from '../store/store.ts';
import type { Config } from '../config/config.ts';
import { suppressAfterReceipt } from './suppressions.ts';
import type { StatsRecorder } from '../stats/recorder.ts';
import type { Metrics } from '../metrics.ts';

export interface ReceiptDeps {
  store: Store;
  clock: Clock;
  /** HERALD_AUTO_SUPPRESS: hard bounces and spam reports add the recipient to the suppression list (default on). */
  config?: Pick<Config, 'autoSuppress'>;
  /** Dashboard counters and Prometheus metrics: a receipt that settles a message counts like a worker completion. */
  stats?: Pick<StatsRecorder, 'completed'> | undefined;
  metrics?: Pick<Metrics, 'delivered' | 'failed'> | undefined;
}

/** What one receipt did. */
export interface ReceiptResult {
  messageId: string;
  /** `changed`: the state moved; `unchanged`: recorded as an event only (e.g. a late receipt after a final state). */
  kind: 'changed' | 'unchanged';
  state: MessageState;
  channel: string;
  /** The provider that carried the message (or the receipt's source when unknown). */
  provider: string;
}

export type ApplyOutcome =
  | { ok: true; results: ReceiptResult[]; changed: number; unchanged: number }
  /** Some receipts named messages Herald does not know: nothing was applied. */
  | { ok: false; unknown: string[] };

class UnknownMessages extends Error {
  readonly unknown: string[];
  constructor(unknown: string[]) {
    super(`unknown messages: ${unknown.join(', ')}`);
    this.unknown = unknown;
  }
}

/**
 * Applies provider receipts to messages, all or nothing, in one transaction. Each receipt finds
 * its message by Herald id, else by the provider's message id, and moves it along the state
 * machine (store.messages.changeState): final states are never overwritten (the receipt is kept
 * as an event), engagement flags are OR-ed in whatever the state. A receipt without a target
 * state only records its event and flags. If any receipt names an unknown message (or, with
 * `carried`, one the reporting provider did not carry), nothing is applied and those ids are answered.
 *
 * Shared by POST /v1/providers/{name}/events and the compatibility webhooks (seed 000's
 * /status-webhook): `source` names who reported it (the provider's name).
 */
export async function applyReceipts(
  deps: ReceiptDeps,
  receipts: readonly Receipt[],
  source: string,
  /** Receipts from a provider: only messages it carried (receipts/access.ts carriedBy); others count as unknown. */
  carried?: (m: Message) => boolean,
): Promise<ApplyOutcome> {
  const at = deps.clock.now();
  try {
    const results = await deps.store.transaction(async (tx) => {
      const unknown: string[] = [];
      const out: ReceiptResult[] = [];
      for (const r of receipts) {
        const found = await locate(tx, r);
        if (!found || (carried && !carried(found))) {
          unknown.push(r.messageId ?? r.providerMessageId ?? '(no id)');
          continue;
        }
        // Without a target the receipt must not move the message: aim at its current state.
        // A queued message is left alone (a worker may claim it at any moment).
        const to = r.to ?? found.state;
        if (r.to === undefined && to === 'queued') {
          out.push({ messageId: found.id, kind: 'unchanged', state: to, channel: '', provider: source });
          continue;
        }
        const res = await tx.messages.changeState(found.id, {
          to,
          at,
          reason: r.reason,
          source,
          type: r.type,
          detail: r.detail,
          engagement: r.engagement,
        });
        if (res.kind === 'not_found') unknown.push(found.id);
        else {
          const m = res.message;
          out.push({
            messageId: m.id,
            kind: res.kind,
            state: m.state,
            channel: m.channel,
            provider: m.provider ?? source,
          });
          // Same transaction: a bounce or spam report and the suppression it causes land together.
          if (deps.config?.autoSuppress ?? true) await suppressAfterReceipt(tx, res.message, r, at);
        }
      }
      if (unknown.length > 0) throw new UnknownMessages(unknown);
      return out;
    });
    countSettled(deps, results);
    const changed = results.filter((r) => r.kind === 'changed').length;
    return { ok: true, results, changed, unchanged: results.length - changed };
  } catch (err) {
    if (err instanceof UnknownMessages) return { ok: false, unknown: err.unknown };
    throw err;
  }
}

/** After the commit: receipts that ended a message count as delivered or failed, like the worker's completions. */
function countSettled(deps: ReceiptDeps, results: readonly ReceiptResult[]): void {
  for (const r of results) {
    if (r.kind !== 'changed') continue;
    const outcome =
      r.state === 'delivered' ? 'delivered' : r.state === 'failed' || r.state === 'bounced' ? 'failed' : undefined;
    if (!outcome) continue;
    deps.stats?.completed(r.channel, r.provider, outcome);
    deps.metrics?.[outcome].inc({ channel: r.channel, provider: r.provider });
  }
}

async function locate(tx: Store, r: Receipt): Promise<Message | undefined> {
  if (r.messageId) {
    const m = await tx.messages.get(r.messageId);
    if (m) return m;
  }
  const found = r.providerMessageId ? await tx.messages.findByProviderMessageId(r.providerMessageId) : undefined;
  return found ? tx.messages.get(found.id) : undefined;
}
