import type { Channel, Message } from '../domain/message.ts';
import type { MessageState } from '../domain/states.ts';

/**
 * The provider port (ARCHITECTURE decision 7). Every adapter — SMTP, SendGrid, fbrq, sms-batch,
 * Twilio, the outbox, webhooks — implements this and lives in its own folder. The worker never
 * knows which one it calls.
 */
export interface ProviderCapabilities {
  /** Most messages one `send` call may carry (1: no batching). */
  maxBatch: number;
  /** How long a lane waits to fill a batch before sending a partial one (0: never waits). */
  lingerMs: number;
  /** The provider reports delivery later by receipt, so acceptance means `sent`, not `delivered`. */
  receipts: boolean;
  /** Its receipts carry a signature (or credentials) that Herald checks. */
  signedReceipts: boolean;
}

/** Why a delivery failed, as the worker needs to know it. */
export type FailureKind = 'transient' | 'permanent';

export type DeliveryResult =
  | {
      ok: true;
      /** `delivered` when acceptance is delivery (webhook 2xx, outbox, `@test` sink); else `sent`. */
      state: 'sent' | 'delivered';
      providerMessageId?: string | undefined;
      statusCode?: number | undefined;
      response?: string | undefined;
    }
  | {
      ok: false;
      retry: FailureKind;
      reason: string;
      /** `provider`: the provider's fault (failover may try the next); `recipient`: the address's. */
      blame: 'provider' | 'recipient';
      statusCode?: number | undefined;
      response?: string | undefined;
      /** The provider asked us to wait (Retry-After), in ms. */
      retryAfterMs?: number | undefined;
    };

export interface Provider {
  readonly name: string;
  readonly type: string;
  readonly channel: Channel;
  readonly capabilities: ProviderCapabilities;
  /**
   * Sends up to `capabilities.maxBatch` messages; answers one result per message, in order.
   * Expected failures are results, never throws; `signal` aborts on timeout or shutdown.
   * Each message's `id` is the idempotency key: a retried call must not send twice where the
   * provider supports it.
   */
  send(batch: readonly Message[], signal: AbortSignal): Promise<DeliveryResult[]>;
  close?(): Promise<void>;
}

/** A provider's receipt, parsed: what to do to which message. */
export interface Receipt {
  /** Herald's message id, when the provider echoes it. */
  messageId?: string | undefined;
  /** The provider's own message id. */
  providerMessageId?: string | undefined;
  /** Target state, if the receipt moves the message. */
  to?: MessageState | undefined;
  /** Engagement flags to record (opens, clicks, spam). */
  engagement?: number | undefined;
  type: string;
  reason?: string | undefined;
  detail?: string | undefined;
}
