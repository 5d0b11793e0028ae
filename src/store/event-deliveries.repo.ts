import { sql, type Kysely, type Selectable } from 'kysely';
import { uuidv7 } from '../domain/ids.ts';
import type { Message } from '../domain/message.ts';
import {
  ENDPOINT_LANE_PREFIX,
  endpointWants,
  eventTypeOf,
  PING_TYPE,
  type EndpointFilter,
  type EventPayload,
} from '../events/model.ts';
import type { Actor } from './audit.repo.ts';
import { KyselyAuditRepo } from './audit.repo.ts';
import { extendLeases, reapLeases } from './leases.ts';
import type { Capabilities } from './capabilities.ts';
import { signingSecrets } from './endpoints.repo.ts';
import { runSteps, stepCounts, type Step } from './steps.ts';
import {
  completeDeliveriesSteps,
  insertDeliveriesStep,
  newDelivery,
  type DueEndpoint,
  type NewDelivery,
} from './event-delivery-writes.ts';
import { chunk } from './rows.ts';
import type { Database, EventAttemptsTable, EventDeliveriesTable } from './schema.ts';
import type { ClaimOptions, Completion, Page } from './store.ts';

/** The message columns a status event's payload and the endpoints' filters read (nothing else). */
const PAYLOAD_COLUMNS = [
  'id',
  'channel',
  'provider',
  'recipient',
  'state',
  'reason',
  'metadata',
  'attempts',
  'campaign_id',
] as const;
type PayloadRow = Pick<Selectable<Database['messages']>, (typeof PAYLOAD_COLUMNS)[number]>;

/** A claimed event delivery, shaped as a webhook message so the worker runs it like one. */
export interface EventDeliveryMessage extends Message {
  delivery: {
    eventId: string;
    type: string;
    endpointId: string | null;
    /** The endpoint's signing secrets now (empty for callbacks: the router signs those). */
    secrets: string[];
    body: string;
  };
}

export function isEventDelivery(m: Message): m is EventDeliveryMessage {
  return (m as Partial<EventDeliveryMessage>).delivery !== undefined;
}

export type DeliveryState = 'queued' | 'sending' | 'delivered' | 'failed';

export interface DeliveryAttempt {
  number: number;
  startedAt: number;
  durationMs: number;
  outcome: string;
  statusCode: number | null;
  response: string | null;
  error: string | null;
}

export interface DeliveryRecord {
  id: string;
  eventId: string;
  type: string;
  messageId: string | null;
  endpointId: string | null;
  url: string;
  state: DeliveryState;
  reason: string | null;
  attempts: number;
  maxAttempts: number;
  dueAt: number;
  statusCode: number | null;
  replayOf: string | null;
  createdAt: number;
  updatedAt: number;
  payload: EventPayload;
  attemptLog: DeliveryAttempt[];
}

export interface DispatchResult {
  /** Rows of `events` read past the cursor. */
  read: number;
  /** Deliveries queued. */
  queued: number;
}

export interface CompleteOptions {
  /** An endpoint failing this long without a success is disabled (with an audit entry). */
  disableAfterMs: number;
}

const SYSTEM: Actor = { id: null, name: 'herald', address: null };

/** An enabled endpoint as the dispatcher matches events against it. */
type DispatchEndpoint = { id: string; url: string; events: string[]; filter: EndpointFilter | null };

function deliveryFromRow(r: Selectable<EventDeliveriesTable>, attempts: DeliveryAttempt[]): DeliveryRecord {
  return {
    id: r.id,
    eventId: r.event_id,
    type: r.type,
    messageId: r.message_id,
    endpointId: r.endpoint_id,
    url: r.url,
    state: r.state as DeliveryState,
    reason: r.reason,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    dueAt: Number(r.due_at),
    statusCode: r.status_code,
    replayOf: r.replay_of,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    payload: JSON.parse(r.body) as EventPayload,
    attemptLog: attempts,
  };
}

function attemptFromRow(r: Selectable<EventAttemptsTable>): DeliveryAttempt {
  return {
    number: r.number,
    startedAt: Number(r.started_at),
    durationMs: r.duration_ms,
    outcome: r.outcome,
    statusCode: r.status_code,
    response: r.response,
    error: r.error,
  };
}

/**
 * Event deliveries (migration 0008): the transactional outbox's dispatcher, and a durable queue with
 * the message queue's shape (claim with a lease, complete, extend, reap) so that the same Worker,
 * lanes, breaker, retry schedule and webhook sender run it. Deliveries produce no `events` rows and
 * never appear among messages.
 */
export class KyselyEventDeliveryRepo {
  private readonly db: Kysely<Database>;
  private readonly caps: Capabilities;

  constructor(db: Kysely<Database>, caps: Capabilities) {
    this.db = db;
    this.caps = caps;
  }

  private inTx<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.db.isTransaction ? fn(this.db) : this.db.transaction().execute(fn);
  }

  /*
   * dispatch — the outbox's reader. Reads up to `limit` rows of `events` past the cursor, works out
   * one delivery per (event, matching endpoint or callback), then writes them and moves the cursor
   * in one atomic step list (../steps.ts) that applies only if the cursor is still where the pass
   * read it: a compare-and-set, so dispatchers in several processes never queue an event twice,
   * and a crash before the commit leaves both as they were. The reads run outside any transaction:
   * on SQLite the single write connection is held only for the write itself, one thread call,
   * not for the whole pass (message completions wait on that connection). A message erased since
   * the pass read it gets no delivery (event-delivery-writes.ts). Campaign starts and ends are
   * dispatched after, in a transaction of their own (dispatchCampaigns).
   */
  async dispatch(
    now: number,
    limit: number,
    maxAttempts: number,
    opts: { campaigns?: boolean } = {},
  ): Promise<DispatchResult> {
    const pg = this.caps.skipLocked;
    const cursor = await this.db
      .selectFrom('event_cursor')
      .select(['last_id', 'last_tx'])
      .where('name', '=', 'events')
      .executeTakeFirst();
    if (!cursor) throw new Error('event_cursor row missing (migration 0008)');
    type Row = {
      id: number;
      tx: number;
      message_id: string;
      at: number;
      type: string;
      to_state: string | null;
      detail: string | null;
    };
    const rows = pg
      ? (
          await sql<Row>`
            SELECT id, txid::text::bigint AS tx, message_id, at, type, to_state, detail FROM events
            WHERE (txid, id) > (${String(cursor.last_tx)}::xid8, ${cursor.last_id})
              AND txid < pg_snapshot_xmin(pg_current_snapshot())
            ORDER BY txid, id LIMIT ${limit}`.execute(this.db)
        ).rows
      : (
          await sql<Row>`
            SELECT id, 0 AS tx, message_id, at, type, to_state, detail FROM events
            WHERE id > ${cursor.last_id} ORDER BY id LIMIT ${limit}`.execute(this.db)
        ).rows;
    // Idle passes: two small reads, no write (campaigns are looked for only when asked).
    if (rows.length === 0 && !opts.campaigns) return { read: 0, queued: 0 };
    const endpoints = await this.enabledEndpoints();
    const deliveries: NewDelivery[] = [];
    const typed = rows.flatMap((r) => {
      const type = eventTypeOf(r);
      return type ? [{ ...r, type }] : [];
    });
    const { messages, callbacks } = await this.payloadSources(typed, endpoints);
    for (const r of typed) {
      const m = messages.get(r.message_id);
      if (!m) continue;
      const state = r.to_state ?? m.state;
      const metadata = m.metadata ? (JSON.parse(m.metadata) as Record<string, unknown>) : null;
      const view = { channel: m.channel, provider: m.provider, campaignId: m.campaign_id, metadata };
      const cb = callbacks.get(m.id);
      const targets = endpoints.filter((e) => endpointWants(e, r.type, view));
      const cbWants = cb && (cb.events === null || cb.events.includes(r.type));
      if (targets.length === 0 && !cbWants) continue;
      const payload: EventPayload = {
        type: r.type,
        timestamp: new Date(Number(r.at)).toISOString(),
        data: {
          id: m.id,
          channel: m.channel,
          provider: m.provider,
          recipient: m.recipient,
          state,
          reason: state === m.state ? m.reason : (r.detail ?? null),
          metadata,
          attempts: m.attempts,
          campaignId: m.campaign_id,
        },
      };
      const body = JSON.stringify(payload);
      const eventId = `evt_${uuidv7(Number(r.at))}`;
      for (const e of targets) deliveries.push(newDelivery(now, eventId, r.type, m.id, body, e));
      if (cbWants) deliveries.push(newDelivery(now, eventId, r.type, m.id, body, { id: null, url: cb.url }));
    }
    let result: DispatchResult = { read: 0, queued: 0 };
    const last = rows[rows.length - 1];
    if (last) {
      const p = (i: number) => (pg ? `$${i}` : `?${i}`);
      const steps: Step[] = [
        {
          sql: `UPDATE event_cursor SET last_id = ${p(1)}, last_tx = ${p(2)}
            WHERE name = 'events' AND last_id = ${p(3)} AND last_tx = ${p(4)}`,
          params: [Number(last.id), Number(last.tx), Number(cursor.last_id), Number(cursor.last_tx)],
        },
      ];
      // One statement for them all (no parameter limit: one JSON array), run only if the cursor moved.
      if (deliveries.length > 0)
        steps.push({ ...insertDeliveriesStep(pg, deliveries, maxAttempts, now), ifPrevious: true });
      const [moved, inserted] = await runSteps(this.db, steps);
      // Not moved: another dispatcher moved the cursor first and queued these events; nothing was written here.
      if (stepCounts(moved!)) result = { read: rows.length, queued: Number(inserted?.changes ?? 0) };
    }
    if (opts.campaigns) result.queued += await this.dispatchCampaigns(endpoints, now, maxAttempts);
    return result;
  }

  private async enabledEndpoints(): Promise<DispatchEndpoint[]> {
    return (await this.db.selectFrom('endpoints').selectAll().where('enabled', '=', 1).execute()).map((e) => ({
      id: e.id,
      url: e.url,
      events: JSON.parse(e.events) as string[],
      filter: e.filter ? (JSON.parse(e.filter) as EndpointFilter) : null,
    }));
  }

  /**
   * `IN` a list of ids bound as ONE parameter: constant SQL text (prepared once, whatever the count;
   * no parameter limit) instead of a placeholder per id. PostgreSQL: `= ANY(text[])`, a primary-key
   * lookup per id; SQLite: `IN (json_each)`, the same.
   */
  private oneOf(ids: readonly string[]) {
    return this.caps.skipLocked
      ? sql`= ANY(${[...ids]}::text[])`
      : sql`IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;
  }

  /*
   * payloadSources — inputs: the events read, the enabled endpoints; output: the callbacks of their
   * messages, and the PAYLOAD_COLUMNS of the messages some endpoint or callback may want an event of.
   * A message whose events nobody subscribes to is not read at all (the worker's own events, most
   * of the time), and no message row is read whole: bodies and payloads stay on disk.
   */
  private async payloadSources(
    typed: readonly { message_id: string; type: string }[],
    endpoints: readonly { events: string[] }[],
  ): Promise<{ messages: Map<string, PayloadRow>; callbacks: Map<string, { url: string; events: string[] | null }> }> {
    const messages = new Map<string, PayloadRow>();
    const callbacks = new Map<string, { url: string; events: string[] | null }>();
    const ids = [...new Set(typed.map((r) => r.message_id))];
    if (ids.length === 0) return { messages, callbacks };
    const cbs = await sql<Selectable<Database['message_callbacks']>>`
      SELECT message_id, url, events FROM message_callbacks WHERE message_id ${this.oneOf(ids)}`.execute(this.db);
    for (const c of cbs.rows)
      callbacks.set(c.message_id, { url: c.url, events: c.events ? (JSON.parse(c.events) as string[]) : null });
    const wanted = new Set<string>();
    for (const r of typed) {
      if (wanted.has(r.message_id)) continue;
      const cb = callbacks.get(r.message_id);
      if (
        endpoints.some((e) => e.events.includes(r.type)) ||
        (cb && (cb.events === null || cb.events.includes(r.type)))
      )
        wanted.add(r.message_id);
    }
    if (wanted.size === 0) return { messages, callbacks };
    const rows = await sql<PayloadRow>`
      SELECT ${sql.raw(PAYLOAD_COLUMNS.join(', '))} FROM messages WHERE id ${this.oneOf([...wanted])}`.execute(this.db);
    for (const m of rows.rows) messages.set(m.id, m);
    return { messages, callbacks };
  }

  /*
   * campaign.started / campaign.finished, marked on the campaign row (events_sent 0 → 1 → 2) in the
   * transaction that queues their deliveries. Looked for outside a transaction first: most passes
   * find none and write nothing. PostgreSQL locks the rows found, so two dispatchers take turns.
   */
  private async dispatchCampaigns(endpoints: DispatchEndpoint[], now: number, maxAttempts: number): Promise<number> {
    const pg = this.caps.skipLocked;
    const due = (db: Kysely<Database>) => {
      const q = db
        .selectFrom('campaigns')
        .select([
          'id',
          'name',
          'channel',
          'provider',
          'state',
          'started_at',
          'finished_at',
          'events_sent',
          'fanned_out',
        ])
        .where((eb) =>
          eb.or([
            eb.and([eb('events_sent', '<', 1), eb('started_at', 'is not', null)]),
            eb.and([eb('events_sent', '<', 2), eb('finished_at', 'is not', null)]),
          ]),
        )
        .limit(100);
      return (pg ? q.forUpdate() : q).execute();
    };
    if ((await due(this.db)).length === 0) return 0;
    return this.inTx(async (db) => {
      const deliveries: NewDelivery[] = [];
      for (const c of await due(db)) {
        const types: [string, number][] = [];
        if (c.events_sent < 1 && c.started_at != null) types.push(['campaign.started', Number(c.started_at)]);
        if (c.finished_at != null) types.push(['campaign.finished', Number(c.finished_at)]);
        for (const [type, at] of types) {
          const view = { channel: c.channel, provider: c.provider, campaignId: c.id, metadata: null };
          const targets = endpoints.filter((e) => endpointWants(e, type, view));
          if (targets.length === 0) continue;
          const body = JSON.stringify({
            type,
            timestamp: new Date(at).toISOString(),
            data: {
              id: c.id,
              name: c.name,
              channel: c.channel,
              provider: c.provider,
              state: c.state,
              messages: Number(c.fanned_out),
            },
          } satisfies EventPayload);
          const eventId = `evt_${uuidv7(at)}`;
          for (const e of targets) deliveries.push(newDelivery(now, eventId, type, null, body, e));
        }
        await db
          .updateTable('campaigns')
          .set({ events_sent: c.finished_at != null ? 2 : 1 })
          .where('id', '=', c.id)
          .execute();
      }
      if (deliveries.length > 0) await runSteps(db, [insertDeliveriesStep(pg, deliveries, maxAttempts, now)]);
      return deliveries.length;
    });
  }

  /** Queues a ping to one endpoint (its test button): one attempt, no retry. */
  async ping(endpointId: string, url: string, now: number): Promise<string> {
    const body = JSON.stringify({
      type: PING_TYPE,
      timestamp: new Date(now).toISOString(),
      data: { endpointId },
    } satisfies EventPayload);
    const d = newDelivery(now, `evt_${uuidv7(now)}`, PING_TYPE, null, body, { id: endpointId, url });
    await runSteps(this.db, [insertDeliveriesStep(this.caps.skipLocked, [d], 1, now)]);
    return d[0];
  }

  /*
   * claim — the message claim's twin: due queued deliveries of enabled endpoints (and callbacks),
   * oldest first, outside the excluded lanes, taken with a lease. Returned shaped as webhook messages.
   *
   * Lane by lane (migration 0014, decision 0036): `lanes` lists the lanes with queued deliveries,
   * one index seek each (a skip-scan of event_deliveries_lane_due); each lane not excluded gives
   * its oldest due ones, at most `limit`; the oldest `limit` of those are taken — the same rows as
   * one walk in due order, without reading the queued rows of the lanes skipped (a dead endpoint's
   * backlog, a busy one's), which that walk had to step over on every claim.
   */
  async claim(opts: ClaimOptions): Promise<Message[]> {
    const pg = this.caps.skipLocked;
    const excluded = opts.excludeLanes ?? [];
    const open = excluded.length > 0 ? sql`AND lane NOT IN (${sql.join(excluded.map((l) => sql`${l}`))})` : sql``;
    const due = sql`x.state = 'queued' AND x.lane = open_lanes.lane AND x.due_at <= ${opts.now}`;
    // PostgreSQL: a lateral subquery, locked (SKIP LOCKED: other workers' claims pass by); SQLite has
    // no LATERAL, a correlated IN does the same (one writer: nothing to lock).
    const perLane = pg
      ? sql`SELECT d.id, d.due_at FROM open_lanes CROSS JOIN LATERAL (
            SELECT x.id, x.due_at, x.endpoint_id FROM event_deliveries AS x
            WHERE ${due} ORDER BY x.due_at LIMIT ${opts.limit} FOR UPDATE SKIP LOCKED) AS d`
      : sql`SELECT d.id, d.due_at FROM open_lanes JOIN event_deliveries AS d ON d.id IN (
            SELECT x.id FROM event_deliveries AS x WHERE ${due} ORDER BY x.due_at LIMIT ${opts.limit})`;
    const { rows } = await sql<Selectable<EventDeliveriesTable>>`
      WITH RECURSIVE lanes(lane) AS (
        SELECT (SELECT min(lane) FROM event_deliveries WHERE state = 'queued')
        UNION ALL
        SELECT (SELECT min(e.lane) FROM event_deliveries AS e WHERE e.state = 'queued' AND e.lane > lanes.lane)
        FROM lanes WHERE lanes.lane IS NOT NULL
      ),
      open_lanes AS (
        SELECT lane FROM lanes
        WHERE lane IS NOT NULL ${open}
          AND lane NOT IN (SELECT ${sql.lit(ENDPOINT_LANE_PREFIX)} || id FROM endpoints WHERE enabled = 0)
      ),
      picked AS (${perLane} ORDER BY d.due_at LIMIT ${opts.limit})
      UPDATE event_deliveries
      SET state = 'sending', lease_owner = ${opts.owner}, lease_until = ${opts.now + opts.leaseMs}, updated_at = ${opts.now}
      WHERE id IN (SELECT id FROM picked) AND state = 'queued'
      RETURNING *`.execute(this.db);
    if (rows.length === 0) return [];
    const endpointIds = [...new Set(rows.flatMap((r) => (r.endpoint_id ? [r.endpoint_id] : [])))];
    const secrets = new Map<string, string[]>();
    if (endpointIds.length > 0) {
      const eps = await this.db
        .selectFrom('endpoints')
        .select(['id', 'secret', 'previous_secret', 'previous_until'])
        .where('id', 'in', endpointIds)
        .execute();
      for (const e of eps) secrets.set(e.id, signingSecrets(e, opts.now));
    }
    return rows
      .map((r): EventDeliveryMessage => ({
        id: r.id,
        channel: 'webhook',
        provider: 'events',
        lane: r.lane,
        recipient: r.url,
        sender: null,
        subject: null,
        text: null,
        html: null,
        payload: { method: 'POST', url: r.url },
        email: null,
        segments: null,
        priority: 0,
        categories: 0,
        uniqueId: null,
        idempotencyKey: null,
        campaignId: null,
        contactId: null,
        state: 'sending',
        reason: r.reason,
        attempts: r.attempts,
        maxAttempts: r.max_attempts,
        dueAt: Number(r.due_at),
        notAfter: null,
        providerMessageId: null,
        engagement: 0,
        metadata: null,
        createdAt: Number(r.created_at),
        sentAt: null,
        deliveredAt: null,
        updatedAt: Number(r.updated_at),
        delivery: {
          eventId: r.event_id,
          type: r.type,
          endpointId: r.endpoint_id,
          secrets: r.endpoint_id ? (secrets.get(r.endpoint_id) ?? []) : [],
          body: r.body,
        },
      }))
      .sort((a, b) => a.dueAt - b.dueAt || (a.id < b.id ? -1 : 1));
  }

  /*
   * complete — applies the worker's decisions (guarded by state `sending` and the lease owner),
   * records the attempts of those that apply, and keeps each endpoint's failure run: a success
   * clears `failing_since`, a failed attempt starts it. One step list (event-delivery-writes.ts):
   * one statement on PostgreSQL, one call to the SQLite thread, atomic. An endpoint failing for
   * `disableAfterMs` comes back from it and is disabled, audited, right after (disableDue).
   */
  async complete(input: readonly Completion[], opts?: CompleteOptions): Promise<number> {
    if (input.length === 0) return 0;
    const at = input[0]!.at;
    const c = completeDeliveriesSteps(this.caps.oneStatementWrites, input, opts ? at - opts.disableAfterMs : null);
    const results = await runSteps(this.db, c.steps);
    const due = c.due(results);
    if (due.length > 0) await this.disableDue(due, at);
    return c.applied(results);
  }

  /*
   * Disables endpoints that have failed for the whole disable period, each with an audit entry, in
   * one transaction. A compare-and-set on `failing_since`: an endpoint that succeeded since (or was
   * disabled by another process) is left alone and not audited. Should the process stop between the
   * completion and this, the endpoint's next failed attempt finds it due again.
   */
  private async disableDue(due: readonly DueEndpoint[], now: number): Promise<void> {
    await this.inTx(async (db) => {
      for (const e of due) {
        const days = Math.round((now - e.failingSince) / 86_400_000);
        const reason = `disabled by Herald: every delivery failed for ${days} day${days === 1 ? '' : 's'} (since ${new Date(e.failingSince).toISOString()})`;
        const r = await db
          .updateTable('endpoints')
          .set({ enabled: 0, disabled_reason: reason, disabled_at: now, updated_at: now })
          .where('id', '=', e.id)
          .where('enabled', '=', 1)
          .where('failing_since', '=', e.failingSince)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) continue;
        await new KyselyAuditRepo(db).record(
          {
            actor: SYSTEM,
            action: 'endpoint.disable',
            objectType: 'endpoint',
            objectId: e.id,
            detail: { reason, url: e.url },
          },
          now,
        );
      }
    });
  }

  extendLeases(ids: readonly string[], owner: string, until: number): Promise<void> {
    return extendLeases(this.db, 'event_deliveries', ids, owner, until);
  }

  reapLeases(now: number): Promise<number> {
    return reapLeases(this.db, 'event_deliveries', now);
  }

  /** Deliveries have no not_after. */
  async expireOverdue(): Promise<number> {
    return 0;
  }

  async get(id: string): Promise<DeliveryRecord | undefined> {
    const r = await this.db.selectFrom('event_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) return undefined;
    const attempts = await this.db
      .selectFrom('event_attempts')
      .selectAll()
      .where('delivery_id', '=', id)
      .orderBy('id')
      .execute();
    return deliveryFromRow(r, attempts.map(attemptFromRow));
  }

  /** An endpoint's deliveries, newest first, with their attempts. */
  async list(
    endpointId: string,
    filter: { state?: DeliveryState | undefined; eventId?: string | undefined },
    limit: number,
    cursor?: string,
  ): Promise<Page<DeliveryRecord>> {
    let q = this.db.selectFrom('event_deliveries').selectAll().where('endpoint_id', '=', endpointId);
    if (filter.state) q = q.where('state', '=', filter.state);
    if (filter.eventId) q = q.where('event_id', '=', filter.eventId);
    if (cursor) q = q.where('id', '<', cursor);
    const rows = await q
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const page = rows.slice(0, limit);
    const attempts = new Map<string, DeliveryAttempt[]>();
    for (const part of chunk(
      page.map((r) => r.id),
      500,
    )) {
      const list = await this.db
        .selectFrom('event_attempts')
        .selectAll()
        .where('delivery_id', 'in', part)
        .orderBy('id')
        .execute();
      for (const a of list) {
        const l = attempts.get(a.delivery_id) ?? [];
        l.push(attemptFromRow(a));
        attempts.set(a.delivery_id, l);
      }
    }
    const items = page.map((r) => deliveryFromRow(r, attempts.get(r.id) ?? []));
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
  }

  /**
   * Sends events again to an endpoint: one event (by event id), or every event whose latest
   * delivery to it failed since `since`. Each replay is a new delivery with the same event id
   * (receivers de-duplicate on webhook-id) and a fresh attempt budget. Returns how many.
   */
  async replay(
    endpointId: string,
    what: { eventId: string } | { failedSince: number },
    now: number,
    maxAttempts: number,
  ): Promise<number> {
    let q = this.db
      .selectFrom('event_deliveries')
      .select(['id', 'event_id', 'type', 'message_id', 'url', 'body', 'state'])
      .where('endpoint_id', '=', endpointId);
    q = 'eventId' in what ? q.where('event_id', '=', what.eventId) : q.where('created_at', '>=', what.failedSince);
    const rows = await q.orderBy('id', 'desc').limit(50_000).execute();
    const latest = new Map<string, (typeof rows)[number]>();
    for (const r of rows) if (!latest.has(r.event_id)) latest.set(r.event_id, r);
    const pick = [...latest.values()].filter((r) => 'eventId' in what || r.state === 'failed').reverse();
    if (pick.length === 0) return 0;
    const fresh = pick.map((r) =>
      newDelivery(now, r.event_id, r.type, r.message_id, r.body, { id: endpointId, url: r.url }, r.id),
    );
    // One statement (no parameter limit: one JSON array); a delivery of a message erased meanwhile is left out.
    const [inserted] = await runSteps(this.db, [insertDeliveriesStep(this.caps.skipLocked, fresh, maxAttempts, now)]);
    return Number(inserted?.changes ?? 0);
  }

  /**
   * Retention: deletes finished deliveries (delivered, failed) created before `before`, with their
   * attempts, at most `limit` in one short transaction. Returns how many went; call again until 0.
   */
  async purgeOlderThan(before: number, limit = 1000): Promise<number> {
    return this.inTx(async (db) => {
      const ids = (
        await db
          .selectFrom('event_deliveries')
          .select('id')
          .where('created_at', '<', before)
          .where('state', 'in', ['delivered', 'failed'])
          .limit(limit)
          .execute()
      ).map((r) => r.id);
      if (ids.length === 0) return 0;
      await db.deleteFrom('event_attempts').where('delivery_id', 'in', ids).execute();
      await db.deleteFrom('event_deliveries').where('id', 'in', ids).execute();
      return ids.length;
    });
  }

  /** Erasure: every delivery (queued or not) about these messages, with attempts. Returns how many. */
  async deleteForMessages(messageIds: readonly string[]): Promise<number> {
    let n = 0;
    for (const part of chunk(messageIds, 500)) {
      const ids = (
        await this.db.selectFrom('event_deliveries').select('id').where('message_id', 'in', part).execute()
      ).map((r) => r.id);
      for (const p of chunk(ids, 500)) {
        await this.db.deleteFrom('event_attempts').where('delivery_id', 'in', p).execute();
        await this.db.deleteFrom('event_deliveries').where('id', 'in', p).execute();
      }
      n += ids.length;
    }
    return n;
  }
}
