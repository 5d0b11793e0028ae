import type { Migration } from './index.ts';

/**
 * The event deliveries' claim goes lane by lane (docs/decisions/0036): an index on (lane, due_at)
 * of the queued deliveries replaces the one on (due_at, lane, endpoint_id), which made a claim walk
 * every queued delivery of the lanes it skips (a dead endpoint's, a busy one's) to find the others'.
 */
const SQL = `
DROP INDEX event_deliveries_claim;
CREATE INDEX event_deliveries_lane_due ON event_deliveries (lane, due_at) WHERE state = 'queued';
`;

export const migration: Migration = {
  version: 14,
  name: 'event-claim-by-lane',
  sqlite: SQL,
  postgres: SQL,
};
