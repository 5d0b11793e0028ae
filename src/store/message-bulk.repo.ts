import { sql, type Kysely, type SelectQueryBuilder } from 'kysely';
import type { Channel } from '../domain/message.ts';
import type { MessageState } from '../domain/states.ts';
import type { Capabilities } from './capabilities.ts';
import { idFloor } from './messages.repo.ts';
import { writeFirst } from './purge.ts';
import { recipientIs } from './recipients.repo.ts';
import { stateTerm } from './state-filter.ts';
import type { Database } from './schema.ts';
import type { MessageFilter } from './store.ts';

/** What one bulk operation does to each message it changes. */
export type BulkAction =
  | { kind: 'cancel'; at: number; reason: string }
  /** `maxAttempts(channel, provider)`: the fresh attempt budget of each message. */
  | { kind: 'retry'; at: number; maxAttempts: (channel: Channel, provider: string | null) => number };

export interface BulkPageOptions {
  /** Only messages in these states change (cancel: queued; retry: failed, expired, bounced). */
  states: readonly MessageState[];
  /** Keyset: ids strictly after this one (ascending), null for the start. */
  after: string | null;
  /** Ids strictly below this one only (the operation's start), so new messages are never swept in. */
  below: string;
  limit: number;
  /** Written on each message's event (`bulk <operation id>`). */
  detail: string;
}

export interface BulkPage {
  changed: number;
  /** The last id looked at: pass as `after`; null when there is nothing after it. */
  next: string | null;
}

/**
 * Retry and cancel by filter (POST /v1/messages/retry|cancel): counted first, then applied in
 * small keyset pages, each its own short transaction, so ingest and the worker never wait long.
 */
export class KyselyMessageBulkRepo {
  private readonly db: Kysely<Database>;
  private readonly caps: Capabilities;
  constructor(db: Kysely<Database>, caps: Capabilities) {
    this.db = db;
    this.caps = caps;
  }

  /** How many messages match the filter (created before `below`), and how many of them are in `states`. */
  async count(
    filter: MessageFilter,
    states: readonly MessageState[],
    below: string,
  ): Promise<{ matched: number; eligible: number }> {
    const inStates = sql<number>`SUM(CASE WHEN state IN (${sql.join(states.map((s) => sql`${s}`))}) THEN 1 ELSE 0 END)`;
    const r = await whereFilter(this.db.selectFrom('messages'), filter, this.caps)
      .where('id', '<', below)
      .select([(eb) => eb.fn.countAll<number>().as('matched'), inStates.as('eligible')])
      .executeTakeFirstOrThrow();
    return { matched: Number(r.matched), eligible: Number(r.eligible ?? 0) };
  }

  /*
   * page — inputs: filter, the states that may change, a keyset position; output: how many
   * changed and where to go on. One transaction: pick up to `limit` eligible ids (PostgreSQL:
   * skipping rows a worker holds locked: they are about to change state anyway), update them with
   * the state guard again, and write one event each, with the state each came from.
   */
  async page(filter: MessageFilter, action: BulkAction, opts: BulkPageOptions): Promise<BulkPage> {
    const run = async (db: Kysely<Database>): Promise<BulkPage> => {
      await writeFirst(db, this.caps);
      let q = whereFilter(db.selectFrom('messages'), filter, this.caps)
        .select(['id', 'state', 'channel', 'provider'])
        .where('state', 'in', [...opts.states])
        .where('id', '<', opts.below)
        .orderBy('id')
        .limit(opts.limit);
      if (opts.after) q = q.where('id', '>', opts.after);
      if (this.caps.skipLocked) q = q.forUpdate().skipLocked();
      const rows = await q.execute();
      if (rows.length === 0) return { changed: 0, next: null };
      const changed = await this.apply(db, rows, action, opts);
      return { changed, next: rows.length < opts.limit ? null : rows[rows.length - 1]!.id };
    };
    return this.db.isTransaction ? run(this.db) : this.db.transaction().execute(run);
  }

  private async apply(
    db: Kysely<Database>,
    rows: readonly { id: string; state: string; channel: string; provider: string | null }[],
    action: BulkAction,
    opts: BulkPageOptions,
  ): Promise<number> {
    const done = new Set<string>();
    if (action.kind === 'cancel') {
      const r = await db
        .updateTable('messages')
        .set({ state: 'cancelled', reason: action.reason, updated_at: action.at })
        .where(
          'id',
          'in',
          rows.map((m) => m.id),
        )
        .where('state', 'in', [...opts.states])
        .returning('id')
        .execute();
      for (const x of r) done.add(x.id);
    } else {
      // One UPDATE per distinct attempt budget (a handful: one per provider at most).
      const byBudget = new Map<number, string[]>();
      for (const m of rows) {
        const n = action.maxAttempts(m.channel as Channel, m.provider);
        byBudget.set(n, [...(byBudget.get(n) ?? []), m.id]);
      }
      for (const [budget, ids] of byBudget) {
        const r = await db
          .updateTable('messages')
          .set({ state: 'queued', attempts: 0, max_attempts: budget, due_at: action.at, reason: null })
          .set({ updated_at: action.at })
          .where('id', 'in', ids)
          .where('state', 'in', [...opts.states])
          .returning('id')
          .execute();
        for (const x of r) done.add(x.id);
      }
    }
    const events = rows
      .filter((m) => done.has(m.id))
      .map((m) => ({
        message_id: m.id,
        at: action.at,
        type: action.kind === 'cancel' ? 'cancelled' : 'retry',
        from_state: m.state,
        to_state: action.kind === 'cancel' ? 'cancelled' : 'queued',
        source: 'api',
        detail: opts.detail,
      }));
    if (events.length > 0) await db.insertInto('events').values(events).execute();
    return done.size;
  }
}

/** The list filter of GET /v1/messages, on any query over `messages`. */
export function whereFilter<O>(
  q: SelectQueryBuilder<Database, 'messages', O>,
  f: MessageFilter,
  caps: Capabilities,
): SelectQueryBuilder<Database, 'messages', O> {
  if (f.state) q = q.where(stateTerm(f.state));
  if (f.channel) q = q.where('channel', '=', f.channel);
  if (f.provider) q = q.where('provider', '=', f.provider);
  if (f.recipient) q = q.where(recipientIs(f.recipient, caps));
  if (f.campaignId) q = q.where('campaign_id', '=', f.campaignId);
  if (f.since != null) q = q.where('id', '>=', idFloor(f.since));
  if (f.until != null) q = q.where('id', '<', idFloor(f.until));
  return q;
}
