/** Delivery lanes: `webhook:<origin>`, a provider's name, or a channel route (`email`, `sms`). */
export const WEBHOOK_LANE_PREFIX = 'webhook:';

/** The lane of a webhook: one per destination origin, so a dead endpoint never slows the others. */
export function webhookLane(url: URL): string {
  return WEBHOOK_LANE_PREFIX + url.origin;
}
