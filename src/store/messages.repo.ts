import { sql, type Kysely, type RawBuilder, type Selectable, type SelectQueryBuilder, type Updateable } from 'kysely';
import { uuidv7 } from '../domain/ids.ts';
import type { NewMessage } from '../domain/message.ts';
import { canTransition, RETRYABLE_STATES, type MessageState } from '../domain/states.ts';
import { extendLeases, reapLeases } from './leases.ts';
import type { Capabilities } from './capabilities.ts';
import { sqliteCompletion, sqliteCampaignSteps, sqliteInsertSteps, type NewCallback } from './message-writes.ts';
import {
  postgresClaimStep,
  postgresCompleteAndClaimStep,
  postgresCompleteStep,
  postgresInsertStep,
  type PgClaimValues,
} from './postgres-writes.ts';
import { attemptFromRow, chunk, eventFromRow, messageFromRow, rowFromNewMessage, storableText } from './rows.ts';
import { recipientIs } from './recipients.repo.ts';
import { runSteps } from './steps.ts';
import type { Database, MessagesTable } from './schema.ts';
import { escapeLike, likeIgnoringCase, prefixUpperBound, recipientContainsTerm } from './search.ts';
import { openStateIndex, stateTerm, withIndex } from './state-filter.ts';
import type {
  CampaignPageRow,
  CampaignPageShared,
  ChangeResult,
  ClaimOptions,
  CompleteAndClaimResult,
  Completion,
  InsertResult,
  MessageDetail,
  MessageFilter,
  MessageRepo,
  Page,
  StateChange,
} from './store.ts';
import type { Message } from '../domain/message.ts';

/** New messages per statement: one JSON parameter of a few MB at most. */
const INSERT_GROUP = 1000;
/**
 * SQLite: parts (of INSERT_GROUP) per call to the thread. A group of a few batch requests is one
 * call; a larger one (up to 200 requests of 1000) goes in calls of 10,000 messages inside one
 * transaction, so the values cloned to the thread at once stay ~10 MB.
 */
const SQLITE_PARTS_PER_CALL = 10;
type Row = Selectable<MessagesTable>;

/** A completion whose outside text (provider responses, errors) every store can hold. */
function storableCompletion(c: Completion): Completion {
  const a = c.attempt;
  const texts = [c.reason, c.providerMessageId, a?.response, a?.error, c.event.detail];
  if (!texts.some((t) => t != null && t.includes('\u0000'))) return c;
  return {
    ...c,
    reason: storableText(c.reason),
    providerMessageId: storableText(c.providerMessageId),
    attempt: a && { ...a, response: storableText(a.response), error: storableText(a.error) },
    event: { ...c.event, detail: storableText(c.event.detail) },
  };
}

/** Claimed rows as messages, highest priority first (RETURNING gives no order). */
function claimedMessages(rows: readonly Row[]): Message[] {
  return rows
    .map(messageFromRow)
    .sort((a, b) => b.priority - a.priority || a.dueAt - b.dueAt || (a.id < b.id ? -1 : 1));
}

/** The lowest UUIDv7 of a millisecond: turns a creation-time bound into a primary-key bound. */
export function idFloor(ms: number): string {
  const h = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-0000-0000-000000000000`;
}

export class KyselyMessageRepo implements MessageRepo {
  private readonly db: Kysely<Database>;
  private readonly caps: Capabilities;

  constructor(db: Kysely<Database>, caps: Capabilities) {
    this.db = db;
    this.caps = caps;
  }

  private inTx<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.inTxOn(this.db)(fn);
  }

  private inTxOn(db: Kysely<Database>) {
    return <T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> =>
      db.isTransaction ? fn(db) : db.transaction().execute(fn);
  }

  /*
   * insertMany — inputs: new messages (some with idempotency keys); output: one result per input, in order.
   * Invariant: a key maps to one message; a repeat with the same request hash returns it, another is a conflict.
   */
  async insertMany(messages: readonly NewMessage[], now: number): Promise<InsertResult[]> {
    const keys = [...new Set(messages.flatMap((m) => (m.idempotencyKey ? [m.idempotencyKey] : [])))];
    // Without keys the group is one call (steps.ts); with keys, the look-up and the insert share a transaction.
    if (keys.length === 0) return this.insertNew(this.db, messages, new Map(), now);
    return this.inTx(async (db) => {
      const seen = new Map<string, { id: string; state: MessageState; hash: string | null }>();
      for (const part of chunk(keys, 500)) {
        const rows = await db
          .selectFrom('messages')
          .select(['id', 'state', 'idempotency_key', 'request_hash'])
          .where('idempotency_key', 'in', part)
          .execute();
        for (const r of rows)
          seen.set(r.idempotency_key!, { id: r.id, state: r.state as MessageState, hash: r.request_hash });
      }
      return this.insertNew(db, messages, seen, now);
    });
  }

  private async insertNew(
    db: Kysely<Database>,
    messages: readonly NewMessage[],
    seen: Map<string, { id: string; state: MessageState; hash: string | null }>,
    now: number,
  ): Promise<InsertResult[]> {
    const results: InsertResult[] = [];
    const rows: MessagesTable[] = [];
    const callbacks: NewCallback[] = [];
    for (const m of messages) {
      const prior = m.idempotencyKey ? seen.get(m.idempotencyKey) : undefined;
      if (prior) {
        const kind = prior.hash === (m.requestHash ?? null) ? 'existing' : 'conflict';
        results.push({ kind, id: prior.id, state: prior.state });
        continue;
      }
      const row = rowFromNewMessage(m, uuidv7(now), now);
      rows.push(row);
      if (m.callback)
        callbacks.push({
          message_id: row.id,
          url: m.callback.url,
          events: m.callback.events ? JSON.stringify(m.callback.events) : null,
        });
      results.push({ kind: 'created', id: row.id, state: row.state as MessageState });
      if (m.idempotencyKey) seen.set(m.idempotencyKey, { id: row.id, state: 'queued', hash: row.request_hash });
    }
    if (rows.length === 0) return results;
    // Bounded groups (a campaign page, a batch request): one statement's JSON stays a few MB.
    const parts = chunk(rows, INSERT_GROUP);
    const callbacksOf = (part: readonly MessagesTable[]) => {
      if (callbacks.length === 0) return callbacks;
      const ids = new Set(part.map((r) => r.id));
      return callbacks.filter((c) => ids.has(c.message_id));
    };
    const pg = this.caps.oneStatementWrites;
    const stepsOf = (ps: readonly MessagesTable[][]) =>
      ps.flatMap((p) =>
        pg ? [postgresInsertStep(p, callbacksOf(p), now, this.caps)] : sqliteInsertSteps(p, callbacksOf(p), now),
      );
    // SQLite: up to SQLITE_PARTS_PER_CALL parts in one call, so the thread runs a usual group (BEGIN and
    // COMMIT included) without waiting for the event loop between parts (docs/decisions/0039).
    const calls = chunk(parts, pg ? 1 : SQLITE_PARTS_PER_CALL);
    const inOneGo = calls.length === 1 ? (f: (d: Kysely<Database>) => Promise<void>) => f(db) : this.inTxOn(db);
    await inOneGo(async (d) => {
      for (const c of calls) await runSteps(d, stepsOf(c));
    });
    return results;
  }

  /*
   * insertCampaignPage — inputs: what a page's messages share, one row per contact; output: their
   * ids, in order. SQLite binds the shared values once and the rows as one small JSON array each
   * (message-writes.ts, decision 0031); PostgreSQL writes the expanded messages with insertMany's
   * statement. Either way, the same rows as insertMany (a conformance test checks every column).
   */
  async insertCampaignPage(
    shared: CampaignPageShared,
    rows: readonly CampaignPageRow[],
    now: number,
  ): Promise<string[]> {
    if (this.caps.oneStatementWrites) {
      const results = await this.insertNew(this.db, campaignMessages(shared, rows), new Map(), now);
      return results.map((r) => r.id);
    }
    const ids = rows.map(() => uuidv7(now));
    // Every group's steps in one call: one round trip to the SQLite thread for the whole page.
    const steps = chunk(rows, INSERT_GROUP).flatMap((part, n) =>
      sqliteCampaignSteps(shared, part, ids.slice(n * INSERT_GROUP), now),
    );
    if (steps.length > 0) await runSteps(this.db, steps);
    return ids;
  }

  async get(id: string): Promise<Message | undefined> {
    const row = await this.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
    return row && messageFromRow(row);
  }

  async detail(id: string): Promise<MessageDetail | undefined> {
    const message = await this.get(id);
    if (!message) return undefined;
    const [attempts, events] = await Promise.all([
      this.db.selectFrom('attempts').selectAll().where('message_id', '=', id).orderBy('id').execute(),
      this.db.selectFrom('events').selectAll().where('message_id', '=', id).orderBy('id').execute(),
    ]);
    return { ...message, attemptLog: attempts.map(attemptFromRow), events: events.map(eventFromRow) };
  }

  async list(filter: MessageFilter, limit: number, cursor?: string): Promise<Page<Message>> {
    const page = (rows: readonly Row[]): Page<Message> => {
      const items = rows.slice(0, limit).map(messageFromRow);
      return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
    };
    if (this.caps.ilike && filter.recipientPrefix && onlyPrefix(filter))
      return page(await this.prefixPage(filter.recipientPrefix, idBounds(filter, cursor), limit + 1));
    let q = this.db.selectFrom('messages').selectAll();
    if (filter.state) q = q.where(stateTerm(filter.state));
    if (filter.channel) q = q.where('channel', '=', filter.channel);
    if (filter.provider) q = q.where('provider', '=', filter.provider);
    if (filter.recipient) q = q.where(recipientIs(filter.recipient, this.caps));
    if (filter.recipientPrefix) q = this.wherePrefix(q, filter.recipientPrefix);
    if (filter.recipientContains) q = q.where(recipientContainsTerm(filter.recipientContains, this.caps));
    if (filter.providerMessageId) q = q.where('provider_message_id', '=', filter.providerMessageId);
    if (filter.campaignId) q = q.where('campaign_id', '=', filter.campaignId);
    for (const term of idBounds(filter, cursor)) q = q.where(term);
    const newest = q.orderBy('id', 'desc').limit(limit + 1);
    // SQLite: a state with few open rows reads its partial index (state-filter.ts, migration 0010).
    const index = await openStateIndex(this.db, this.caps, filter.state);
    return page(
      index ? (await this.db.executeQuery<Row>(withIndex(newest.compile(), index))).rows : await newest.execute(),
    );
  }

  /*
   * A case-insensitive recipient prefix. PostgreSQL: `lower(recipient) LIKE 'p%'` on a btree
   * (migration 0009), when other filters come with it (alone: prefixPage); SQLite: a range on the
   * NOCASE index with LIKE re-checking the rows in it.
   */
  private wherePrefix<Q extends SelectQueryBuilder<Database, 'messages', object>>(q: Q, prefix: string): Q {
    const pattern = `${escapeLike(prefix)}%`;
    // PostgreSQL: the btree `messages_recipient_lower` (text_pattern_ops) turns this into a range;
    // trigrams would match every phone sharing "900" and scan thousands of rows.
    if (this.caps.ilike) return q.where(sql<boolean>`lower(recipient) LIKE ${pattern.toLowerCase()}`) as Q;
    const lo = prefix.replace(/[A-Z]/g, (c) => c.toLowerCase());
    const hi = prefixUpperBound(lo);
    let r = q.where(sql<boolean>`recipient COLLATE NOCASE >= ${lo}`);
    if (hi !== undefined) r = r.where(sql<boolean>`recipient COLLATE NOCASE < ${hi}`);
    return r.where(likeIgnoringCase(sql`recipient`, pattern, this.caps)) as Q;
  }

  /*
   * PostgreSQL, a recipient prefix and no other filter but creation-time bounds and the cursor
   * (docs/decisions/0045). The planner's plan for a common prefix — walk the primary key newest
   * first, filter each row — assumes the matches are spread evenly over time; when they are not
   * ("user12" in bench/indexes.ts: 4 % of the rows, none among the newest 70,000) it reads rows
   * until it meets them (54 ms at 1M rows; 1.2 s for an address whose messages are all old). So:
   * - the page's ids from `messages_recipient_lower` alone: an index-only range that reads each
   *   match once, a top-N sort on `id COLLATE "C"` (an order the primary key does not give, so the
   *   planner cannot walk that instead; the same order for ids), then those rows by key;
   * - but first, when the prefix is common enough that an even spread would fill the page from the
   *   newest rows sooner than from all its matches (the planner's estimates, one EXPLAIN), those
   *   newest rows, a bounded number (recentWindow): a skewed prefix costs that plus its matches,
   *   never a walk of the whole table.
   */
  private async prefixPage(prefix: string, bounds: readonly RawBuilder<boolean>[], n: number): Promise<Row[]> {
    const pattern = `${escapeLike(prefix)}%`.toLowerCase();
    const matches = sql.join([sql<boolean>`lower(recipient) LIKE ${pattern}`, ...bounds], sql` AND `);
    const within = bounds.length > 0 ? sql`WHERE ${sql.join(bounds, sql` AND `)}` : sql``;
    const window = await this.recentWindow(matches, within, n);
    if (window > 0) {
      const recent = await sql<Row>`
        SELECT * FROM (SELECT * FROM messages ${within} ORDER BY id DESC LIMIT ${window}) m
        WHERE lower(recipient) LIKE ${pattern} ORDER BY id DESC LIMIT ${n}`.execute(this.db);
      if (recent.rows.length === n) return recent.rows;
    }
    const { rows } = await sql<Row>`
      SELECT * FROM messages WHERE id = ANY(ARRAY(
        SELECT id FROM messages WHERE ${matches} ORDER BY id COLLATE "C" DESC LIMIT ${n}
      )) ORDER BY id DESC`.execute(this.db);
    return rows;
  }

  /**
   * How many of the newest rows to read for a prefix page before its index, from the planner's
   * estimates of the matches (m) and of the rows within the bounds (t). An even spread fills n from
   * n·t/m newest rows; when that is more than the m index entries, none (0). Otherwise up to the
   * larger of twice that and PREFIX_WINDOW_SHARE·m: a prefix common but not among the newest rows
   * then costs at most that walk plus its index entries, and one common lately (the walk fills the
   * page early) never reads its hundreds of thousands of index entries.
   */
  private async recentWindow(matches: RawBuilder<unknown>, within: RawBuilder<unknown>, n: number): Promise<number> {
    const { rows } = await sql<{ 'QUERY PLAN': [{ Plan: { Plans?: { 'Plan Rows': number }[] } }] }>`
      EXPLAIN (FORMAT JSON) SELECT 1 FROM messages WHERE ${matches} UNION ALL SELECT 1 FROM messages ${within}`.execute(
      this.db,
    );
    const [m, t] = (rows[0]?.['QUERY PLAN'][0]?.Plan.Plans ?? []).map((p) => Math.max(1, p['Plan Rows']));
    if (m === undefined || t === undefined) return PREFIX_WINDOW;
    const even = (n * t) / m;
    return even < m ? Math.ceil(Math.max(2 * even, PREFIX_WINDOW_SHARE * m)) : 0;
  }

  /*
   * claim — inputs: owner, limit, now, lease length, lanes to skip; output: the claimed messages,
   * highest priority first. Invariant: a message is `sending` with one owner until its lease ends.
   * The pick is a CTE (executed once, unlike an IN-subquery that a plan may re-scan) and the UPDATE
   * re-checks `state = 'queued'`. PostgreSQL: one constant statement (message-writes.ts), competing
   * workers skip each other's locked rows; SQLite: one writer at a time, so the statement is
   * already exclusive.
   */
  async claim(opts: ClaimOptions): Promise<Message[]> {
    if (this.caps.skipLocked) {
      const [r] = await runSteps(this.db, [postgresClaimStep(pgClaim(opts))]);
      return claimedMessages(r!.rows as Row[]);
    }
    const { rows } = await this.claimQuery(opts).execute(this.db);
    return claimedMessages(rows);
  }

  /** The SQLite claim statement (one UPDATE over a CTE; see claim). */
  private claimQuery(opts: ClaimOptions) {
    const exclude =
      opts.excludeLanes && opts.excludeLanes.length > 0
        ? sql`AND lane NOT IN (${sql.join(opts.excludeLanes.map((l) => sql`${l}`))})`
        : sql``;
    return sql<Selectable<MessagesTable>>`
      WITH picked AS (
        SELECT id FROM messages ${this.indexedBy('messages_claim')}
        WHERE state = 'queued' AND due_at <= ${opts.now} ${exclude}
        ORDER BY priority DESC, due_at
        LIMIT ${opts.limit}
      )
      UPDATE messages
      SET state = 'sending', lease_owner = ${opts.owner}, lease_until = ${opts.now + opts.leaseMs}, updated_at = ${opts.now}
      WHERE id IN (SELECT id FROM picked) AND state = 'queued'
      RETURNING *`;
  }

  /*
   * complete — inputs: the worker's decisions; output: how many rows changed.
   * One UPDATE … FROM (VALUES …) per 1000 decisions (a round trip per batch, not per message).
   * Invariant: only the lease owner of a `sending` message can settle it; an attempt is recorded
   * even when the lease was lost (the provider was called), but the state is left alone.
   */
  async complete(input: readonly Completion[]): Promise<number> {
    if (input.length === 0) return 0;
    return this.completeOn(this.db, input);
  }

  private async completeOn(on: Kysely<Database>, input: readonly Completion[]): Promise<number> {
    const completions = input.map(storableCompletion);
    if (!this.caps.oneStatementWrites) {
      // Every group's steps in one call, atomic together (steps.ts).
      const c = sqliteCompletion(completions);
      return c.applied(await runSteps(on, c.steps));
    }
    const parts = chunk(completions, 1000);
    const run = parts.length === 1 ? (f: (d: Kysely<Database>) => Promise<number>) => f(on) : this.inTxOn(on);
    return run(async (db) => {
      let applied = 0;
      for (const part of parts) {
        const [r] = await runSteps(db, [postgresCompleteStep(part)]);
        applied += r!.rows.length;
      }
      return applied;
    });
  }

  /*
   * completeAndClaim — inputs: the worker's decisions and its next claim; output: how many
   * decisions applied and the messages claimed. All or nothing: if any part fails nothing is
   * written and nothing is claimed.
   * SQLite (docs/decisions/0029): the completion steps and the claim go to the thread in ONE call,
   * so the claim rides on the group commit of outcomes; it runs after the completions and may take
   * a message one of them just put back.
   * PostgreSQL (docs/decisions/0034): ONE statement, one round trip that commits by itself. Its
   * CTEs share one snapshot: the claim never takes a message this call settles (not even a retry
   * due at once: the next claim does). A group over 1000 decisions settles the rest first.
   */
  async completeAndClaim(input: readonly Completion[], opts: ClaimOptions): Promise<CompleteAndClaimResult> {
    const completions = input.map(storableCompletion);
    if (this.caps.oneStatementWrites) {
      const parts = chunk(completions, 1000);
      const last = parts.pop() ?? [];
      return this.inTxIf(parts.length > 0, async (db) => {
        const before = parts.length > 0 ? await this.completeOn(db, parts.flat()) : 0;
        const [r] = await runSteps(db, [postgresCompleteAndClaimStep(last, pgClaim(opts))]);
        const rows = r!.rows as (Row & { applied: number })[];
        const claimed = rows.filter((row) => row.id !== null);
        return { applied: before + Number(rows[0]?.applied ?? 0), claimed: claimedMessages(claimed) };
      });
    }
    const c = sqliteCompletion(completions);
    const claim = this.claimQuery(opts).compile(this.db);
    const results = await runSteps(this.db, [...c.steps, { sql: claim.sql, params: claim.parameters }]);
    return { applied: c.applied(results), claimed: claimedMessages(results[results.length - 1]!.rows as Row[]) };
  }

  /** `fn` in a transaction when `needed` (or already in one), else on the store itself. */
  private inTxIf<T>(needed: boolean, fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    return needed ? this.inTx(fn) : fn(this.db);
  }

  extendLeases(ids: readonly string[], owner: string, until: number, renewBefore?: number): Promise<void> {
    return extendLeases(this.db, 'messages', ids, owner, until, renewBefore);
  }

  reapLeases(now: number): Promise<number> {
    return reapLeases(this.db, 'messages', now);
  }

  /** Each expired message gets its `events` row in the same transaction (status events read them). */
  async expireOverdue(now: number): Promise<number> {
    const reason = 'not_after passed before it could be sent';
    return this.inTx(async (db) => {
      await sql`
        INSERT INTO events (message_id, at, type, from_state, to_state, source, detail)
        SELECT id, ${now}, 'expired', 'queued', 'expired', 'worker', ${reason}
        FROM messages ${this.indexedBy('messages_not_after')}
        WHERE state = 'queued' AND not_after IS NOT NULL AND not_after < ${now}`.execute(db);
      const r = await sql`
        UPDATE messages ${this.indexedBy('messages_not_after')}
        SET state = 'expired', reason = ${reason}, updated_at = ${now}
        WHERE state = 'queued' AND not_after IS NOT NULL AND not_after < ${now}`.execute(db);
      return Number(r.numAffectedRows ?? 0);
    });
  }

  /** The partial index made for a statement, named where the planner needs telling (caps.indexHints). */
  private indexedBy(index: string) {
    return this.caps.indexHints ? sql`INDEXED BY ${sql.raw(index)}` : sql``;
  }

  changeState(id: string, change: StateChange): Promise<ChangeResult> {
    return this.changeWhere('id', id, change);
  }

  changeStateByProviderId(providerMessageId: string, change: StateChange): Promise<ChangeResult> {
    return this.changeWhere('provider_message_id', providerMessageId, change);
  }

  /*
   * changeWhere — moves one message along an allowed edge, or records the event without a state
   * change when the edge is not allowed (a late receipt after a final state). Engagement flags are
   * OR'ed in either way. Optimistic: the UPDATE is guarded by the state it read.
   */
  private changeWhere(column: 'id' | 'provider_message_id', value: string, change: StateChange): Promise<ChangeResult> {
    return this.inTx(async (db) => {
      let q = db.selectFrom('messages').selectAll().where(column, '=', value).orderBy('id', 'desc').limit(1);
      if (this.caps.skipLocked) q = q.forUpdate();
      const row = await q.executeTakeFirst();
      if (!row) return { kind: 'not_found' } as const;
      const from = row.state as MessageState;
      const moves = from !== change.to && canTransition(from, change.to);
      const set: Updateable<MessagesTable> = { updated_at: change.at };
      if (moves) {
        set.state = change.to;
        if (change.reason !== undefined) set.reason = change.reason;
        if (from === 'sending') Object.assign(set, { lease_owner: null, lease_until: null });
        if (change.to === 'delivered') set.delivered_at = change.at;
        if (change.to === 'sent') set.sent_at = change.at;
      }
      if (change.engagement) set.engagement = sql<number>`engagement | ${change.engagement}` as unknown as number;
      const r = await db
        .updateTable('messages')
        .set(set)
        .where('id', '=', row.id)
        .where('state', '=', from)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return { kind: 'unchanged', message: messageFromRow(row) } as const;
      await db
        .insertInto('events')
        .values({
          message_id: row.id,
          at: change.at,
          type: change.type,
          from_state: from,
          to_state: moves ? change.to : null,
          source: change.source,
          detail: change.detail ?? null,
        })
        .execute();
      const after = await db.selectFrom('messages').selectAll().where('id', '=', row.id).executeTakeFirstOrThrow();
      return { kind: moves ? 'changed' : 'unchanged', message: messageFromRow(after) } as const;
    });
  }

  async retry(id: string, now: number, maxAttempts: number): Promise<ChangeResult> {
    return this.inTx(async (db) => {
      const row = await db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
      if (!row) return { kind: 'not_found' } as const;
      const r = await db
        .updateTable('messages')
        .set({ state: 'queued', attempts: 0, max_attempts: maxAttempts, due_at: now, reason: null, updated_at: now })
        .where('id', '=', id)
        .where('state', 'in', [...RETRYABLE_STATES])
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return { kind: 'unchanged', message: messageFromRow(row) } as const;
      await db
        .insertInto('events')
        .values({
          message_id: id,
          at: now,
          type: 'retry',
          from_state: row.state,
          to_state: 'queued',
          source: 'api',
          detail: null,
        })
        .execute();
      const after = await db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return { kind: 'changed', message: messageFromRow(after) } as const;
    });
  }

  async countByState(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('messages')
      .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
      .groupBy('state')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  }

  async findByProviderMessageId(providerMessageId: string): Promise<{ id: string; state: MessageState } | undefined> {
    // The partial index messages_provider_message_id.
    const r = await this.db
      .selectFrom('messages')
      .select(['id', 'state'])
      .where('provider_message_id', '=', providerMessageId)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return r && { id: r.id, state: r.state as MessageState };
  }
}

/** PostgreSQL prefix pages: the newest rows read first when the planner's estimates cannot be read (prefixPage). */
const PREFIX_WINDOW = 2000;
/**
 * …and at least this share of the estimated matches: a row read from the table costs about twice
 * an index-only entry (bench/indexes.ts, decision 0045), so the walk that found nothing costs about
 * half of what the index read that follows it costs.
 */
const PREFIX_WINDOW_SHARE = 0.25;

/** The filter fields prefixPage handles; any other (one added later too) takes list's general query. */
const PREFIX_PAGE_FIELDS: ReadonlySet<string> = new Set(['recipientPrefix', 'since', 'until']);

/** A filter with a recipient prefix and nothing else but creation-time bounds. */
function onlyPrefix(f: MessageFilter): boolean {
  return Object.entries(f).every(([k, v]) => v == null || v === '' || PREFIX_PAGE_FIELDS.has(k));
}

/** The creation-time bounds and the cursor, as terms on the primary key. */
function idBounds(f: MessageFilter, cursor: string | undefined): RawBuilder<boolean>[] {
  const terms: RawBuilder<boolean>[] = [];
  if (f.since != null) terms.push(sql<boolean>`id >= ${idFloor(f.since)}`);
  if (f.until != null) terms.push(sql<boolean>`id < ${idFloor(f.until)}`);
  if (cursor) terms.push(sql<boolean>`id < ${cursor}`);
  return terms;
}

/** The PostgreSQL claim's bound values. */
function pgClaim(opts: ClaimOptions): PgClaimValues {
  return {
    now: opts.now,
    limit: opts.limit,
    owner: opts.owner,
    leaseUntil: opts.now + opts.leaseMs,
    excludeLanes: opts.excludeLanes ?? [],
  };
}

/** A campaign page as the messages insertMany takes (PostgreSQL). */
export function campaignMessages(s: CampaignPageShared, rows: readonly CampaignPageRow[]): NewMessage[] {
  return rows.map((r) => {
    const c = s.content ?? r.content;
    return {
      channel: s.channel,
      recipient: r.recipient,
      sender: s.sender ?? undefined,
      subject: c?.subject ?? undefined,
      text: c?.text ?? undefined,
      html: c?.html ?? undefined,
      segments: c?.segments ?? undefined,
      priority: s.priority,
      categories: s.categories,
      provider: s.provider ?? undefined,
      lane: s.lane,
      dueAt: r.dueAt,
      notAfter: s.notAfter ?? undefined,
      maxAttempts: s.maxAttempts,
      campaignId: s.campaignId,
      contactId: r.contactId,
      state: r.state,
      reason: r.reason ?? undefined,
    };
  });
}
