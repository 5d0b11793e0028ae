import type { NewMessage } from '../../src/domain/message.ts';

/** A webhook message to a given URL, due now. */
export function webhookMessage(url: string, over: Partial<NewMessage> = {}): NewMessage {
  return {
    channel: 'webhook',
    recipient: url,
    payload: { method: 'POST', url, body: { hello: 'world' } },
    priority: 0,
    categories: 0,
    lane: `webhook:${new URL(url).origin}`,
    dueAt: 0,
    maxAttempts: 3,
    ...over,
  };
}
