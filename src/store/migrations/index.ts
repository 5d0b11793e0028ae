import { migration as m0001 } from './0001-core.ts';
import { migration as m0003 } from './0003-recipients.ts';
import { migration as m0002 } from './0002-providers.ts';
import { migration as m0004 } from './0004-campaigns.ts';
import { migration as m0005 } from './0005-stats.ts';
import { migration as m0006 } from './0006-access.ts';
import { migration as m0007 } from './0007-content.ts';
import { migration as m0008 } from './0008-events.ts';
import { migration as m0009 } from './0009-search.ts';
import { migration as m0010 } from './0010-lean-indexes.ts';
import { migration as m0011 } from './0011-health.ts';
import { migration as m0012 } from './0012-retention.ts';
import { migration as m0013 } from './0013-queue-depth.ts';
import { migration as m0014 } from './0014-event-claim-by-lane.ts';
import { migration as m0015 } from './0015-leases-by-id.ts';
import { migration as m0016 } from './0016-one-recipient-index.ts';
import { migration as m0017 } from './0017-trigram-index-settled.ts';

/**
 * A forward-only schema change: one SQL script per dialect, run in one transaction and recorded in
 * the `herald_migrations` ledger. Never edit a released migration; add the next number.
 */
export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

/** Every migration, in order. Append new ones here. */
export const MIGRATIONS: readonly Migration[] = [
  m0001,
  m0002,
  m0003,
  m0004,
  m0005,
  m0006,
  m0007,
  m0008,
  m0009,
  m0010,
  m0011,
  m0012,
  m0013,
  m0014,
  m0015,
  m0016,
  m0017,
];

export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);
