import type { Kysely } from 'kysely';
import { chunk } from './rows.ts';
import type { Database } from './schema.ts';

/** The tables that are queues with leases: messages and status-event deliveries. */
export type LeasedTable = 'messages' | 'event_deliveries';

/** Extends the leases of rows still in hand (state `sending`, this owner); with `renewBefore`, only those ending before it. */
export async function extendLeases(
  db: Kysely<Database>,
  table: LeasedTable,
  ids: readonly string[],
  owner: string,
  until: number,
  renewBefore?: number,
): Promise<void> {
  // Both tables share these columns; Kysely types one table at a time.
  const q = db as unknown as Kysely<Pick<Database, 'messages'>>;
  for (const part of chunk(ids, 1000)) {
    await q
      .updateTable(table as 'messages')
      .set({ lease_until: until })
      .where('id', 'in', part)
      .where('lease_owner', '=', owner)
      .where('state', '=', 'sending')
      .$if(renewBefore !== undefined, (w) => w.where('lease_until', '<', renewBefore!))
      .execute();
  }
}

/** Puts rows whose lease ran out back in the queue. Returns how many. */
export async function reapLeases(db: Kysely<Database>, table: LeasedTable, now: number): Promise<number> {
  const q = db as unknown as Kysely<Pick<Database, 'messages'>>;
  const r = await q
    .updateTable(table as 'messages')
    .set({ state: 'queued', lease_owner: null, lease_until: null, updated_at: now })
    .where('state', '=', 'sending')
    .where('lease_until', '<', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
