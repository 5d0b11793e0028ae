import type { Kysely } from 'kysely';
import { FINAL_STATES } from '../domain/states.ts';
import type { Capabilities } from './capabilities.ts';
import { idFloor } from './messages.repo.ts';
import { deleteMessageTrees, NO_ROWS, writeFirst, type PurgeCounts } from './purge.ts';
import type { Database } from './schema.ts';

export interface PurgeBatch {
  /** Messages created before this time (ms) and final since before it go. */
  before: number;
  /** Only this channel; or, with `exceptChannels`, every other one. */
  channel?: string | undefined;
  exceptChannels?: readonly string[] | undefined;
  limit: number;
}

/**
 * Retention (HERALD_RETENTION_DAYS): final messages older than the policy, with their attempts and
 * events, deleted in small batches (one short transaction each) by the worker's RetentionJob.
 */
export class KyselyRetentionRepo {
  private readonly db: Kysely<Database>;
  private readonly caps: Capabilities;
  constructor(db: Kysely<Database>, caps: Capabilities) {
    this.db = db;
    this.caps = caps;
  }

  /*
   * purgeBatch — inputs: a cutoff, a channel scope, a batch size; output: the rows deleted (0
   * messages: nothing left to do). Walks the primary key from the oldest id (UUIDv7: creation
   * order) below the cutoff's id; a message still open (queued for a far `sendAt`, sending, sent)
   * is never touched, nor one that became final after the cutoff (a late retry). PostgreSQL:
   * concurrent purges skip each other's rows, so two workers purging at once are harmless.
   */
  async purgeBatch(b: PurgeBatch): Promise<PurgeCounts> {
    return this.db.transaction().execute(async (db) => {
      await writeFirst(db, this.caps);
      let q = db
        .selectFrom('messages')
        .select('id')
        .where('id', '<', idFloor(b.before))
        .where('state', 'in', [...FINAL_STATES])
        .where('updated_at', '<', b.before)
        .orderBy('id')
        .limit(b.limit);
      if (b.channel) q = q.where('channel', '=', b.channel);
      if (b.exceptChannels && b.exceptChannels.length > 0) q = q.where('channel', 'not in', [...b.exceptChannels]);
      if (this.caps.skipLocked) q = q.forUpdate().skipLocked();
      const ids = (await q.execute()).map((r) => r.id);
      return ids.length === 0 ? NO_ROWS : deleteMessageTrees(db, ids);
    });
  }
}
