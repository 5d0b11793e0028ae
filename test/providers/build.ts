import type { ProviderConfig } from '../../src/config/config.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { uuidv7 } from '../../src/domain/ids.ts';
import type { Channel, Message } from '../../src/domain/message.ts';
import type { DeliveryResult } from '../../src/providers/provider.ts';
import type { ProviderContext, ProviderType } from '../../src/providers/registry.ts';
import pino from 'pino';

/** A provider's config as config.ts would produce it from a file entry. */
export function providerConfig(
  type: string,
  channel: Channel,
  options: Record<string, unknown>,
  over: Partial<ProviderConfig> = {},
): ProviderConfig {
  return {
    name: `${type}-test`,
    channel,
    type,
    concurrency: 4,
    rateLimit: null,
    timeoutMs: 2_000,
    retry: { scheduleMs: [0], maxAttempts: 3 },
    options,
    ...over,
  };
}

/** Validates (asserting no problems) and creates a provider with a manual clock. */
export function createProvider(t: ProviderType, cfg: ProviderConfig, clock = new ManualClock(Date.UTC(2026, 0, 1))) {
  const problems: string[] = [];
  t.validate(cfg, problems);
  if (problems.length) throw new Error(problems.join('; '));
  const ctx = { clock, logger: pino({ level: 'silent' }), config: {}, store: {} } as unknown as ProviderContext;
  return t.create(cfg, ctx);
}

/** A claimed message, as a provider receives it. */
export function message(channel: Channel, recipient: string, over: Partial<Message> = {}): Message {
  const now = Date.UTC(2026, 0, 1);
  return {
    id: uuidv7(),
    channel,
    provider: null,
    lane: channel,
    recipient,
    sender: null,
    subject: channel === 'email' ? 'Hello' : null,
    text: 'Your code is 1234',
    html: null,
    payload: null,
    email: null,
    segments: null,
    priority: 0,
    categories: 0,
    uniqueId: null,
    idempotencyKey: null,
    campaignId: null,
    contactId: null,
    state: 'sending',
    reason: null,
    attempts: 0,
    maxAttempts: 3,
    dueAt: now,
    notAfter: null,
    providerMessageId: null,
    engagement: 0,
    metadata: null,
    createdAt: now,
    sentAt: null,
    deliveredAt: null,
    updatedAt: now,
    ...over,
  };
}

/** Narrows a result to a failure (fails the test otherwise). */
export function failure(r: DeliveryResult | undefined): Extract<DeliveryResult, { ok: false }> {
  if (!r || r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r)}`);
  return r;
}

export function success(r: DeliveryResult | undefined): Extract<DeliveryResult, { ok: true }> {
  if (!r || !r.ok) throw new Error(`expected a success, got ${JSON.stringify(r)}`);
  return r;
}

export const never = () => new AbortController().signal;
