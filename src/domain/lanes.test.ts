import { test } from 'node:test';
import assert from 'node:assert/strict';
import { carrierOf, laneProviders, laneReaches, routedLane, webhookLane } from './lanes.ts';

const routes = { email: ['ses', 'smtp'], sms: ['outbox-sms'] };
const known = new Set(['ses', 'smtp', 'outbox-sms', 'bulk']);
const isProvider = (n: string) => known.has(n);

test('the lane of a message: the provider it names, else its channel route; webhooks by origin', () => {
  assert.equal(routedLane('email'), 'email');
  assert.equal(routedLane('sms', null), 'sms');
  assert.equal(routedLane('sms', 'bulk'), 'bulk');
  assert.equal(webhookLane(new URL('https://a.example:8443/x?y')), 'webhook:https://a.example:8443');
});

test("a lane's providers: the route in failover order, or the one provider named", () => {
  assert.deepEqual(laneProviders('email', routes, isProvider), ['ses', 'smtp']);
  assert.deepEqual(laneProviders('bulk', routes, isProvider), ['bulk']);
  assert.equal(laneProviders('nobody', routes, isProvider), undefined);
  assert.equal(laneProviders('webhook:https://a.example', routes, isProvider), undefined);
  assert.ok(laneReaches('email', 'smtp', routes));
  assert.ok(laneReaches('bulk', 'bulk', routes));
  assert.ok(!laneReaches('sms', 'ses', routes));
  assert.ok(!laneReaches('bulk', 'ses', routes));
});

test('the carrier of a message is the first provider its lane tries', () => {
  for (const [channel, provider] of [
    ['email', undefined],
    ['sms', undefined],
    ['sms', 'bulk'],
    ['email', 'smtp'],
  ] as const) {
    const lane = routedLane(channel, provider);
    assert.equal(carrierOf(channel, provider, routes), laneProviders(lane, routes, isProvider)![0]);
  }
  assert.equal(carrierOf('webhook', undefined, routes), 'webhook');
  // Routes not known (no providers built): the channel's name, as before a route exists.
  assert.equal(carrierOf('email', null, {}), 'email');
});
