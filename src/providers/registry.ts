import type { Logger } from 'pino';
import type { Config, ProviderConfig } from '../config/config.ts';
import type { Clock } from '../domain/clock.ts';
import type { Store } from '../store/store.ts';
import type { ProviderSchema } from './options.ts';
import type { Provider, Receipt } from './provider.ts';
import type { MailContext } from './email/mail.ts';

/** What a provider factory may use. */
export interface ProviderContext {
  config: Config;
  clock: Clock;
  logger: Logger;
  store: Store;
  /** E-mail providers: Message-ID domain and List-Unsubscribe links (absent in unit tests). */
  mail?: MailContext | undefined;
}

/** A receipt request as the receipts endpoint hands it to a provider: raw body kept for signatures. */
export interface ReceiptRequest {
  /** The full public URL the provider posted to (Twilio signs it). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  /** Parsed body: JSON, or form fields for form-encoded posts. */
  body: unknown;
}

export type ReceiptParse =
  { ok: true; receipts: Receipt[] } | { ok: false; status: 400 | 401 | 403; code: string; message: string };

/** A provider type: its options (ProviderSchema) and how to build an instance. One entry per adapter folder. */
export interface ProviderType extends ProviderSchema {
  create(cfg: ProviderConfig, ctx: ProviderContext): Provider & Partial<ReceiptSource>;
}

/** A provider that takes receipts at POST /v1/providers/{name}/events. */
export interface ReceiptSource {
  parseReceipts(req: ReceiptRequest): Promise<ReceiptParse> | ReceiptParse;
}

/** Every provider type Herald knows. Adapters add themselves here. */
export const PROVIDER_TYPES: Record<string, ProviderType> = {};
