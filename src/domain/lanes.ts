import type { Channel } from './message.ts';

/**
 * Which lane and which provider carry a message: the one home of that rule. Lanes are
 * `webhook:<origin>`, a provider's name (a message that named its provider), or a channel route
 * (`email`, `sms`: the channel's providers in failover order).
 */
export const WEBHOOK_LANE_PREFIX = 'webhook:';

/** The provider name webhook messages are counted under (metrics, dashboard). */
export const WEBHOOK_PROVIDER = 'webhook';

/** Each routed channel's providers in failover order (ProviderSet.routes: never empty once built). */
export type ChannelRoutes = Readonly<Partial<Record<'email' | 'sms', readonly string[]>>>;

/** The lane of a webhook: one per destination origin, so a dead endpoint never slows the others. */
export function webhookLane(url: URL): string {
  return WEBHOOK_LANE_PREFIX + url.origin;
}

/** The lane of an e-mail or SMS: the provider it names, else its channel's route. */
export function routedLane(channel: 'email' | 'sms', provider?: string | null): string {
  return provider ?? channel;
}

/**
 * The providers a lane tries, in order: a route's providers, or the one provider a message
 * named. Undefined for a lane no provider serves (a webhook lane, an unknown name).
 */
export function laneProviders(
  lane: string,
  routes: ChannelRoutes,
  isProvider: (name: string) => boolean,
): readonly string[] | undefined {
  if (lane === 'email' || lane === 'sms') return routes[lane];
  return isProvider(lane) ? [lane] : undefined;
}

/** Whether a message on `lane` may be carried by provider `name` (it is the lane, or on its route). */
export function laneReaches(lane: string, name: string, routes: ChannelRoutes): boolean {
  if (lane === name) return true;
  return lane === 'email' || lane === 'sms' ? (routes[lane]?.includes(name) ?? false) : false;
}

/**
 * The provider that carries a message (the one it names, else the first of its channel's route),
 * under which it is counted when accepted and whose attempt budget it gets. Webhooks count under
 * `webhook`. With no route known for the channel (no providers were built), the channel's name.
 * Pass the built routes (ProviderSet.routes, default outboxes included) so that "accepted" and
 * "delivered" name the same provider.
 */
export function carrierOf(channel: Channel, provider: string | null | undefined, routes: ChannelRoutes): string {
  if (provider) return provider;
  if (channel === 'webhook') return WEBHOOK_PROVIDER;
  return routes[channel]?.[0] ?? channel;
}
