import { sql, type Kysely, type Selectable, type Updateable } from 'kysely';
import { uuidv7 } from '../domain/ids.ts';
import { routedLane } from '../domain/lanes.ts';
import type { Campaign, CampaignChannel, CampaignFields, CampaignState } from '../campaigns/model.ts';
import type { Capabilities } from './capabilities.ts';
import type { CampaignsTable, Database, MessagesTable } from './schema.ts';
import type { Message } from '../domain/message.ts';
import { messageFromRow } from './rows.ts';
import type { Page } from './store.ts';

/** Message counts by state, e.g. `{ queued: 3, delivered: 10 }`. */
export type StateCounts = Record<string, number>;

export interface DeliveryTiming {
  firstSentAt: number | null;
  lastSentAt: number | null;
  delivered: number;
  /** Milliseconds from a message's creation (fan-out) to its delivery. */
  p50Ms: number | null;
  p95Ms: number | null;
}

/** Fields of queued messages that follow a campaign edit made after it started. */
export interface QueuedEdit {
  text?: string | undefined;
  /** SMS: the parts the new text takes (set with `text`, so the stored count follows the text). */
  segments?: number | undefined;
  subject?: string | undefined;
  priority?: number | undefined;
  notAfter?: number | undefined;
  /** New provider (and so lane); null: route by channel. */
  provider?: { name: string | null; channel: CampaignChannel } | undefined;
}

/** A queued message's new text; `segments`: the parts an SMS text takes (absent for e-mail). */
export interface TextUpdate {
  id: string;
  text: string;
  segments?: number | undefined;
}

/** Held by the one scheduler that leads (PostgreSQL session advisory lock). */
export interface LeaderLease {
  /** False once the lock's connection is gone: another process may lead now. */
  alive(): Promise<boolean>;
  release(): Promise<void>;
}

/** A queued message of a campaign with its contact, to re-render an edited text. */
export interface QueuedWithContact {
  messageId: string;
  contactId: string;
}

/** How far pause pushes queued messages' due_at (≈ 100 years): the claim never reaches them. */
export const HOLD_MS = 3_155_760_000_000;

/** Campaigns and the bulk message operations that act on one campaign's messages. */
export interface CampaignRepo {
  insert(fields: CampaignFields, state: CampaignState, now: number): Promise<Campaign>;
  get(id: string): Promise<Campaign | undefined>;
  /** Newest first. */
  list(limit: number, cursor?: string, state?: CampaignState): Promise<Page<Campaign>>;
  update(id: string, fields: Partial<CampaignFields>, now: number): Promise<Campaign | undefined>;
  delete(id: string): Promise<boolean>;
  /** Moves the campaign to `to` if it is in one of `from`; the updated campaign, or undefined. */
  transition(id: string, from: readonly CampaignState[], to: CampaignState, now: number): Promise<Campaign | undefined>;
  /** Scheduled campaigns whose start has come. */
  dueToStart(now: number): Promise<Campaign[]>;
  /** Running and paused campaigns. */
  live(): Promise<Campaign[]>;
  /** The earliest start of a scheduled campaign, to sleep until then. */
  nextStart(): Promise<number | undefined>;
  /**
   * Advances the fan-out checkpoint if it is still `expected` and the campaign still running (guards
   * against a second fan-out of the same page, and a pause or cancel that landed meanwhile). Call in
   * the transaction that writes the page's messages.
   */
  advance(
    id: string,
    expected: string | null,
    checkpoint: string | null,
    added: number,
    done: boolean,
    now: number,
  ): Promise<boolean>;
  /** Counts by state for these campaigns (all campaigns when omitted). */
  countByState(ids?: readonly string[]): Promise<Map<string, StateCounts>>;
  timing(id: string): Promise<DeliveryTiming>;
  /** Messages not final and not waiting for a receipt: queued or sending. */
  pendingCount(id: string): Promise<number>;
  /** Bulk: queued messages of the campaign → `to`, with an event each. `overdueAt`: only those whose not_after < it. */
  settleQueued(
    id: string,
    to: 'cancelled' | 'expired',
    now: number,
    reason: string,
    overdueAt?: number,
  ): Promise<number>;
  /** Bulk: applies an edit to the campaign's queued messages. */
  editQueued(id: string, edit: QueuedEdit, now: number): Promise<number>;
  /** Queued messages of the campaign after `cursor` with their contact ids (id order). */
  queuedPage(id: string, cursor: string | null, limit: number): Promise<QueuedWithContact[]>;
  /** Sets the text (and, for SMS, its segment count) of each message (only if still queued). */
  setTexts(updates: readonly TextUpdate[], now: number): Promise<void>;
  /** Pause: pushes the due_at of queued messages HOLD_MS ahead. */
  holdQueued(id: string, now: number): Promise<number>;
  /** Time zones of the contacts of held messages. */
  heldZones(id: string): Promise<string[]>;
  /**
   * Resume: held messages come back to their due_at, or to `dueFor(zone)` when that has passed
   * (the next opening of the window); messages whose contact is gone come back at `fallback`.
   */
  releaseHeld(id: string, now: number, dueFor: (zone: string) => number, fallback: number): Promise<number>;
  /** Campaign messages (of one campaign, or of all), oldest first, after `cursor`. */
  messages(campaignId: string | undefined, limit: number, cursor?: string): Promise<Page<Message>>;
  /**
   * Tries to take the leader lock `name` (PostgreSQL: a session advisory lock keyed by the name and
   * the current schema, so Herald instances in other schemas of one database do not contend).
   * SQLite always leads: one process per database file.
   */
  tryLead(name: string): Promise<LeaderLease | undefined>;
}

export function campaignFromRow(r: Selectable<CampaignsTable>): Campaign {
  return {
    id: r.id,
    name: r.name,
    channel: r.channel as CampaignChannel,
    provider: r.provider,
    sender: r.sender,
    subject: r.subject,
    text: r.text,
    html: r.html,
    template:
      r.template_id && r.template_version != null
        ? { id: r.template_id, version: r.template_version, locale: r.template_locale }
        : null,
    categories: Number(r.categories ?? 0),
    filter: JSON.parse(r.filter) as Campaign['filter'],
    startAt: Number(r.start_at),
    endAt: Number(r.end_at),
    window: r.window_from && r.window_to ? { from: r.window_from, to: r.window_to } : null,
    priority: r.priority,
    state: r.state as CampaignState,
    checkpoint: r.checkpoint,
    fanoutDone: Number(r.fanout_done) === 1,
    fannedOut: Number(r.fanned_out),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    startedAt: r.started_at == null ? null : Number(r.started_at),
    finishedAt: r.finished_at == null ? null : Number(r.finished_at),
  };
}

function rowFields(f: Partial<CampaignFields>): Updateable<CampaignsTable> {
  const set: Updateable<CampaignsTable> = {};
  if (f.name !== undefined) set.name = f.name;
  if (f.channel !== undefined) set.channel = f.channel;
  if (f.provider !== undefined) set.provider = f.provider;
  if (f.sender !== undefined) set.sender = f.sender;
  if (f.subject !== undefined) set.subject = f.subject;
  if (f.text !== undefined) set.text = f.text;
  if (f.html !== undefined) set.html = f.html;
  if (f.categories !== undefined) set.categories = f.categories;
  if (f.template !== undefined) {
    set.template_id = f.template?.id ?? null;
    set.template_version = f.template?.version ?? null;
    set.template_locale = f.template?.locale ?? null;
  }
  if (f.filter !== undefined) set.filter = JSON.stringify(f.filter);
  if (f.startAt !== undefined) set.start_at = f.startAt;
  if (f.endAt !== undefined) set.end_at = f.endAt;
  if (f.window !== undefined) {
    set.window_from = f.window?.from ?? null;
    set.window_to = f.window?.to ?? null;
  }
  if (f.priority !== undefined) set.priority = f.priority;
  return set;
}

export class KyselyCampaignRepo implements CampaignRepo {
  private readonly db: Kysely<Database>;
  private readonly caps: Capabilities;
  constructor(db: Kysely<Database>, caps: Capabilities) {
    this.db = db;
    this.caps = caps;
  }

  async insert(f: CampaignFields, state: CampaignState, now: number): Promise<Campaign> {
    const row: CampaignsTable = {
      id: uuidv7(now),
      name: f.name,
      channel: f.channel,
      provider: f.provider,
      sender: f.sender,
      subject: f.subject,
      text: f.text,
      html: f.html,
      template_id: f.template?.id ?? null,
      template_version: f.template?.version ?? null,
      template_locale: f.template?.locale ?? null,
      categories: f.categories,
      filter: JSON.stringify(f.filter),
      start_at: f.startAt,
      end_at: f.endAt,
      window_from: f.window?.from ?? null,
      window_to: f.window?.to ?? null,
      priority: f.priority,
      state,
      checkpoint: null,
      fanout_done: 0,
      fanned_out: 0,
      created_at: now,
      updated_at: now,
      started_at: state === 'running' ? now : null,
      finished_at: null,
    };
    await this.db.insertInto('campaigns').values(row).execute();
    return campaignFromRow(row);
  }

  async get(id: string): Promise<Campaign | undefined> {
    const r = await this.db.selectFrom('campaigns').selectAll().where('id', '=', id).executeTakeFirst();
    return r && campaignFromRow(r);
  }

  async list(limit: number, cursor?: string, state?: CampaignState): Promise<Page<Campaign>> {
    let q = this.db.selectFrom('campaigns').selectAll();
    if (state) q = q.where('state', '=', state);
    if (cursor) q = q.where('id', '<', cursor);
    const rows = await q
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(campaignFromRow);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
  }

  async update(id: string, fields: Partial<CampaignFields>, now: number): Promise<Campaign | undefined> {
    await this.db
      .updateTable('campaigns')
      .set({ ...rowFields(fields), updated_at: now })
      .where('id', '=', id)
      .execute();
    return this.get(id);
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('campaigns').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async transition(
    id: string,
    from: readonly CampaignState[],
    to: CampaignState,
    now: number,
  ): Promise<Campaign | undefined> {
    const set: Updateable<CampaignsTable> = { state: to, updated_at: now };
    if (to === 'running' && from.includes('scheduled'))
      set.started_at = sql<number>`coalesce(started_at, ${now})` as unknown as number;
    if (to === 'finished' || to === 'cancelled') set.finished_at = now;
    const r = await this.db
      .updateTable('campaigns')
      .set(set)
      .where('id', '=', id)
      .where('state', 'in', [...from])
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0 ? this.get(id) : undefined;
  }

  async dueToStart(now: number): Promise<Campaign[]> {
    const rows = await this.db
      .selectFrom('campaigns')
      .selectAll()
      .where('state', '=', 'scheduled')
      .where('start_at', '<=', now)
      .orderBy('start_at')
      .limit(100)
      .execute();
    return rows.map(campaignFromRow);
  }

  async live(): Promise<Campaign[]> {
    const rows = await this.db
      .selectFrom('campaigns')
      .selectAll()
      .where('state', 'in', ['running', 'paused'])
      .orderBy('id')
      .execute();
    return rows.map(campaignFromRow);
  }

  async nextStart(): Promise<number | undefined> {
    const r = await this.db
      .selectFrom('campaigns')
      .select((eb) => eb.fn.min('start_at').as('t'))
      .where('state', '=', 'scheduled')
      .executeTakeFirst();
    return r?.t == null ? undefined : Number(r.t);
  }

  async advance(
    id: string,
    expected: string | null,
    checkpoint: string | null,
    added: number,
    done: boolean,
    now: number,
  ): Promise<boolean> {
    let q = this.db
      .updateTable('campaigns')
      .set({
        checkpoint,
        fanned_out: sql<number>`fanned_out + ${added}` as unknown as number,
        fanout_done: done ? 1 : 0,
        updated_at: now,
      })
      .where('id', '=', id)
      .where('state', '=', 'running')
      .where('fanout_done', '=', 0);
    q = expected === null ? q.where('checkpoint', 'is', null) : q.where('checkpoint', '=', expected);
    const r = await q.executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async countByState(ids?: readonly string[]): Promise<Map<string, StateCounts>> {
    let q = this.db
      .selectFrom('messages')
      .select(['campaign_id', 'state', (eb) => eb.fn.countAll<number>().as('n')])
      .where('campaign_id', 'is not', null);
    if (ids) {
      if (ids.length === 0) return new Map();
      q = q.where('campaign_id', 'in', [...ids]);
    }
    const rows = await q.groupBy(['campaign_id', 'state']).execute();
    const out = new Map<string, StateCounts>();
    for (const r of rows) {
      const counts = out.get(r.campaign_id!) ?? {};
      counts[r.state] = Number(r.n);
      out.set(r.campaign_id!, counts);
    }
    return out;
  }

  async timing(id: string): Promise<DeliveryTiming> {
    const agg = await this.db
      .selectFrom('messages')
      .select((eb) => [
        eb.fn.min('sent_at').as('first'),
        eb.fn.max('sent_at').as('last'),
        eb.fn.count<number>('delivered_at').as('delivered'),
      ])
      .where('campaign_id', '=', id)
      .executeTakeFirstOrThrow();
    const delivered = Number(agg.delivered);
    const pct = async (p: number): Promise<number | null> => {
      if (delivered === 0) return null;
      const r = await this.db
        .selectFrom('messages')
        .select(sql<number>`delivered_at - created_at`.as('d'))
        .where('campaign_id', '=', id)
        .where('delivered_at', 'is not', null)
        .orderBy('d')
        .offset(Math.floor(p * (delivered - 1)))
        .limit(1)
        .executeTakeFirst();
      return r ? Number(r.d) : null;
    };
    return {
      firstSentAt: agg.first == null ? null : Number(agg.first),
      lastSentAt: agg.last == null ? null : Number(agg.last),
      delivered,
      p50Ms: await pct(0.5),
      p95Ms: await pct(0.95),
    };
  }

  async messages(campaignId: string | undefined, limit: number, cursor?: string): Promise<Page<Message>> {
    let q = this.db.selectFrom('messages').selectAll();
    q = campaignId ? q.where('campaign_id', '=', campaignId) : q.where('campaign_id', 'is not', null);
    if (cursor) q = q.where('id', '>', cursor);
    const rows = await q
      .orderBy('id')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(messageFromRow);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
  }

  async pendingCount(id: string): Promise<number> {
    const r = await this.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('campaign_id', '=', id)
      .where('state', 'in', ['queued', 'sending'])
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /*
   * settleQueued — events first (INSERT … SELECT, set-based), then the UPDATE, in one transaction:
   * every message that changes gets its event, with no id list held in memory.
   */
  async settleQueued(
    id: string,
    to: 'cancelled' | 'expired',
    now: number,
    reason: string,
    overdueAt?: number,
  ): Promise<number> {
    const run = async (db: Kysely<Database>) => {
      let pick = db.selectFrom('messages').where('campaign_id', '=', id).where('state', '=', 'queued');
      if (overdueAt !== undefined) pick = pick.where('not_after', '<', overdueAt);
      await db
        .insertInto('events')
        .columns(['message_id', 'at', 'type', 'from_state', 'to_state', 'source', 'detail'])
        .expression(
          pick.select((eb) => [
            'id',
            eb.val(now).as('at'),
            eb.val(to).as('type'),
            eb.val('queued').as('from_state'),
            eb.val(to).as('to_state'),
            eb.val('campaign').as('source'),
            eb.val(reason).as('detail'),
          ]),
        )
        .execute();
      let upd = db
        .updateTable('messages')
        .set({ state: to, reason, updated_at: now })
        .where('campaign_id', '=', id)
        .where('state', '=', 'queued');
      if (overdueAt !== undefined) upd = upd.where('not_after', '<', overdueAt);
      const r = await upd.executeTakeFirst();
      return Number(r.numUpdatedRows);
    };
    return this.db.isTransaction ? run(this.db) : this.db.transaction().execute(run);
  }

  async editQueued(id: string, edit: QueuedEdit, now: number): Promise<number> {
    const set: Updateable<MessagesTable> = { updated_at: now };
    if (edit.text !== undefined) set.body_text = edit.text;
    if (edit.segments !== undefined) set.segments = edit.segments;
    if (edit.subject !== undefined) set.subject = edit.subject;
    if (edit.priority !== undefined) set.priority = edit.priority;
    if (edit.notAfter !== undefined) set.not_after = edit.notAfter;
    if (edit.provider !== undefined) {
      set.provider = edit.provider.name;
      set.lane = routedLane(edit.provider.channel, edit.provider.name);
    }
    const r = await this.db
      .updateTable('messages')
      .set(set)
      .where('campaign_id', '=', id)
      .where('state', '=', 'queued')
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async queuedPage(id: string, cursor: string | null, limit: number): Promise<QueuedWithContact[]> {
    let q = this.db
      .selectFrom('messages')
      .select(['id', 'contact_id'])
      .where('campaign_id', '=', id)
      .where('state', '=', 'queued');
    if (cursor) q = q.where('id', '>', cursor);
    const rows = await q.orderBy('id').limit(limit).execute();
    return rows.map((r) => ({ messageId: r.id, contactId: r.contact_id ?? '' }));
  }

  async setTexts(updates: readonly TextUpdate[], now: number): Promise<void> {
    const run = async (db: Kysely<Database>) => {
      for (const u of updates) {
        const set: Updateable<MessagesTable> = { body_text: u.text, updated_at: now };
        if (u.segments !== undefined) set.segments = u.segments;
        await db.updateTable('messages').set(set).where('id', '=', u.id).where('state', '=', 'queued').execute();
      }
    };
    await (this.db.isTransaction ? run(this.db) : this.db.transaction().execute(run));
  }

  async holdQueued(id: string, now: number): Promise<number> {
    const r = await this.db
      .updateTable('messages')
      .set({ due_at: sql<number>`due_at + ${HOLD_MS}` as unknown as number, updated_at: now })
      .where('campaign_id', '=', id)
      .where('state', '=', 'queued')
      .where('due_at', '<', HOLD_MS)
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  async heldZones(id: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('messages')
      .innerJoin('contacts', 'contacts.id', 'messages.contact_id')
      .select('contacts.timezone')
      .distinct()
      .where('messages.campaign_id', '=', id)
      .where('messages.state', '=', 'queued')
      .where('messages.due_at', '>=', HOLD_MS)
      .execute();
    return rows.map((r) => r.timezone);
  }

  async releaseHeld(id: string, now: number, dueFor: (zone: string) => number, fallback: number): Promise<number> {
    const zones = await this.heldZones(id);
    const run = async (db: Kysely<Database>) => {
      let n = 0;
      const release = async (due: number, zone?: string) => {
        let q = db
          .updateTable('messages')
          .set({
            due_at:
              sql<number>`CASE WHEN due_at - ${HOLD_MS} > ${now} THEN due_at - ${HOLD_MS} ELSE ${due} END` as unknown as number,
            updated_at: now,
          })
          .where('campaign_id', '=', id)
          .where('state', '=', 'queued')
          .where('due_at', '>=', HOLD_MS);
        if (zone !== undefined)
          q = q.where('contact_id', 'in', db.selectFrom('contacts').select('id').where('timezone', '=', zone));
        n += Number((await q.executeTakeFirst()).numUpdatedRows);
      };
      for (const zone of zones) await release(dueFor(zone), zone);
      await release(fallback);
      return n;
    };
    return this.db.isTransaction ? run(this.db) : this.db.transaction().execute(run);
  }

  /*
   * tryLead — PostgreSQL: a session advisory lock on a connection held for as long as we lead.
   * The callback of db.connection() keeps the connection out of the pool until the lease ends.
   * When that connection dies (server restart, pg_terminate_backend) the server has dropped the
   * lock with it: alive() answers false and gives the broken connection back to the pool (which
   * discards it), so the next tryLead starts afresh and no pool slot is lost per outage.
   */
  async tryLead(name: string): Promise<LeaderLease | undefined> {
    if (!this.caps.advisoryLocks) return { alive: async () => true, release: async () => undefined };
    return new Promise<LeaderLease | undefined>((resolve, reject) => {
      let settled = false;
      let lost = false;
      let finish: () => void = () => undefined;
      const held = new Promise<void>((r) => (finish = r));
      const done = this.db
        .connection()
        .execute(async (conn) => {
          const r = await sql<{
            ok: boolean;
          }>`SELECT pg_try_advisory_lock(hashtext(${name}), hashtext(current_schema())) AS ok`.execute(conn);
          settled = true;
          if (!r.rows[0]?.ok) return resolve(undefined);
          resolve({
            alive: async () => {
              if (lost) return false;
              try {
                await sql`SELECT 1`.execute(conn);
                return true;
              } catch {
                lost = true;
                finish();
                return false;
              }
            },
            release: async () => {
              finish();
              await done;
            },
          });
          await held;
          if (!lost) await sql`SELECT pg_advisory_unlock(hashtext(${name}), hashtext(current_schema()))`.execute(conn);
        })
        .catch((err: unknown) => {
          lost = true;
          if (!settled) reject(err instanceof Error ? err : new Error(String(err)));
        });
    });
  }
}
