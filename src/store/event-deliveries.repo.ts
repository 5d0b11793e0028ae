import { sql, type Insertable, type Kysely, type Selectable } from 'kysely';
import { uuidv7 } from '../domain/ids.ts';
import type { Message } from '../domain/message.ts';
import {
  callbackLane,
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
import { chunk, storableText } from './rows.ts';
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

/** A delivery to queue, as one element of the dispatcher's JSON array: [id, event_id, type, message_id, endpoint_id, url, lane, body]. */
type NewDelivery = [string, string, string, string | null, string | null, string, string, string];

function newDelivery(
  now: number,
  eventId: string,
  type: string,
  messageId: string | null,
  body: string,
  target: { id: string | null; url: string },
): NewDelivery {
  const lane = target.id ? ENDPOINT_LANE_PREFIX + target.id : callbackLane(target.url);
  return [uuidv7(now), eventId, type, messageId, target.id, target.url, lane, body];
}

/*
 * Queues deliveries: parameters (1) max_attempts, (2) now, (3) a JSON array of NewDelivery. One
 * statement, whatever their number. A delivery of a message that is gone (erased since the
 * dispatcher read it) is left out; PostgreSQL waits for an erasure in progress (FOR KEY SHARE,
 * which the worker's updates of a message do not block).
 */
function insertDeliveriesSql(pg: boolean): string {
  const v = (i: number) => (pg ? `v->>${i}` : `v.value->>${i}`);
  const [maxAttempts, now, rows] = pg
    ? ['$1::int', '$2::bigint', 'json_array_elements($3::json)']
    : ['?1', '?2', 'json_each(?3)'];
  return `INSERT INTO event_deliveries
  (id, event_id, type, message_id, endpoint_id, url, lane, body, state, attempts, max_attempts, due_at, created_at, updated_at)
SELECT ${[0, 1, 2, 3, 4, 5, 6, 7].map(v).join(', ')}, 'queued', 0, ${maxAttempts}, ${now}, ${now}, ${now}
FROM ${rows} AS v
WHERE ${v(3)} IS NULL OR EXISTS (SELECT 1 FROM messages AS m WHERE m.id = ${v(3)}${pg ? ' FOR KEY SHARE' : ''})`;
}

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
   * the pass read it gets no delivery (insertDeliveriesSql). Campaign starts and ends are
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
    const { messages, callbacks } = await this.payloadSources(this.db, typed, endpoints);
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
        steps.push({
          sql: insertDeliveriesSql(pg),
          params: [maxAttempts, now, JSON.stringify(deliveries)],
          ifPrevious: true,
        });
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

  /*
   * payloadSources — inputs: the events read, the enabled endpoints; output: the callbacks of their
   * messages, and the PAYLOAD_COLUMNS of the messages some endpoint or callback may want an event of.
   * A message whose events nobody subscribes to is not read at all (the worker's own events, most
   * of the time), and no message row is read whole: bodies and payloads stay on disk.
   */
  private async payloadSources(
    db: Kysely<Database>,
    typed: readonly { message_id: string; type: string }[],
    endpoints: readonly { events: string[] }[],
  ): Promise<{ messages: Map<string, PayloadRow>; callbacks: Map<string, { url: string; events: string[] | null }> }> {
    const messages = new Map<string, PayloadRow>();
    const callbacks = new Map<string, { url: string; events: string[] | null }>();
    const ids = [...new Set(typed.map((r) => r.message_id))];
    for (const part of chunk(ids, 500))
      for (const c of await db.selectFrom('message_callbacks').selectAll().where('message_id', 'in', part).execute())
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
    for (const part of chunk([...wanted], 500))
      for (const m of await db.selectFrom('messages').select(PAYLOAD_COLUMNS).where('id', 'in', part).execute())
        messages.set(m.id, m);
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
      if (deliveries.length > 0)
        await runSteps(db, [{ sql: insertDeliveriesSql(pg), params: [maxAttempts, now, JSON.stringify(deliveries)] }]);
      return deliveries.length;
    });
  }

  /** Queues a ping to one endpoint (its test button). */
  async ping(endpointId: string, url: string, now: number): Promise<string> {
    const eventId = `evt_${uuidv7(now)}`;
    const body = JSON.stringify({
      type: PING_TYPE,
      timestamp: new Date(now).toISOString(),
      data: { endpointId },
    } satisfies EventPayload);
    const id = uuidv7(now);
    await this.db
      .insertInto('event_deliveries')
      .values({
        id,
        event_id: eventId,
        type: PING_TYPE,
        message_id: null,
        endpoint_id: endpointId,
        url,
        lane: ENDPOINT_LANE_PREFIX + endpointId,
        body,
        state: 'queued',
        reason: null,
        attempts: 0,
        max_attempts: 1,
        due_at: now,
        lease_owner: null,
        lease_until: null,
        status_code: null,
        replay_of: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    return id;
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
   * records attempts, and keeps each endpoint's failure run: a success clears `failing_since`, a
   * failed attempt starts it; an endpoint failing for `disableAfterMs` is disabled, audited.
   */
  async complete(input: readonly Completion[], opts?: CompleteOptions): Promise<number> {
    if (input.length === 0) return 0;
    return this.inTx(async (db) => {
      let applied = 0;
      const ok = new Set<string>();
      const failedAt = new Map<string, number>();
      const attempts: Insertable<EventAttemptsTable>[] = [];
      // Each guarded UPDATE by primary key; all of them in one call on the SQLite thread (steps.ts).
      const updates = input.map((c) => {
        const to = c.to === 'queued' ? 'queued' : c.to === 'delivered' || c.to === 'sent' ? 'delivered' : 'failed';
        const q = db
          .updateTable('event_deliveries')
          .set({
            state: to,
            reason: storableText(c.reason ?? null),
            lease_owner: null,
            lease_until: null,
            updated_at: c.at,
            attempts: sql<number>`attempts + ${c.countsAttempt ? 1 : 0}`,
            due_at: c.dueAt ?? sql<number>`due_at`,
            status_code: c.attempt ? (c.attempt.statusCode ?? null) : sql<number | null>`status_code`,
          })
          .where('id', '=', c.id)
          .where('state', '=', 'sending')
          .where('lease_owner', '=', c.owner)
          .returning(['endpoint_id'])
          .compile();
        return { sql: q.sql, params: q.parameters };
      });
      const results = await runSteps(db, updates);
      for (const [i, c] of input.entries()) {
        const r = results[i]!.rows[0] as { endpoint_id: string | null } | undefined;
        if (!r) continue;
        applied++;
        if (!c.attempt) continue;
        attempts.push({
          delivery_id: c.id,
          number: c.attempt.number,
          started_at: c.attempt.startedAt,
          duration_ms: Math.round(c.attempt.durationMs),
          outcome: c.attempt.outcome,
          status_code: c.attempt.statusCode,
          response: storableText(c.attempt.response),
          error: storableText(c.attempt.error),
        });
        if (!r.endpoint_id) continue;
        if (c.attempt.outcome === 'ok') ok.add(r.endpoint_id);
        else if (!failedAt.has(r.endpoint_id)) failedAt.set(r.endpoint_id, c.attempt.startedAt);
      }
      for (const part of chunk(attempts, 500)) await db.insertInto('event_attempts').values(part).execute();
      if (ok.size > 0)
        await db
          .updateTable('endpoints')
          .set({ failing_since: null })
          .where('id', 'in', [...ok])
          .where('failing_since', 'is not', null)
          .execute();
      for (const [id, at] of failedAt) {
        if (ok.has(id)) continue;
        await db
          .updateTable('endpoints')
          .set({ failing_since: at })
          .where('id', '=', id)
          .where('failing_since', 'is', null)
          .execute();
      }
      if (opts && failedAt.size > 0)
        await this.disableFailing(db, [...failedAt.keys()], input[0]!.at, opts.disableAfterMs);
      return applied;
    });
  }

  private async disableFailing(db: Kysely<Database>, ids: string[], now: number, afterMs: number): Promise<void> {
    const failing = await db
      .selectFrom('endpoints')
      .select(['id', 'url', 'failing_since'])
      .where('id', 'in', ids)
      .where('enabled', '=', 1)
      .where('failing_since', '<=', now - afterMs)
      .execute();
    for (const e of failing) {
      const days = Math.round((now - Number(e.failing_since)) / 86_400_000);
      const reason = `disabled by Herald: every delivery failed for ${days} day${days === 1 ? '' : 's'} (since ${new Date(Number(e.failing_since)).toISOString()})`;
      await db
        .updateTable('endpoints')
        .set({ enabled: 0, disabled_reason: reason, disabled_at: now, updated_at: now })
        .where('id', '=', e.id)
        .execute();
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
    return this.inTx(async (db) => {
      let q = db.selectFrom('event_deliveries').selectAll().where('endpoint_id', '=', endpointId);
      q = 'eventId' in what ? q.where('event_id', '=', what.eventId) : q.where('created_at', '>=', what.failedSince);
      const rows = await q.orderBy('id', 'desc').limit(50_000).execute();
      const latest = new Map<string, Selectable<EventDeliveriesTable>>();
      for (const r of rows) if (!latest.has(r.event_id)) latest.set(r.event_id, r);
      const pick = [...latest.values()].filter((r) => 'eventId' in what || r.state === 'failed');
      const fresh = pick.reverse().map((r) => ({
        ...r,
        id: uuidv7(now),
        state: 'queued',
        reason: null,
        attempts: 0,
        max_attempts: maxAttempts,
        due_at: now,
        lease_owner: null,
        lease_until: null,
        status_code: null,
        replay_of: r.id,
        created_at: now,
        updated_at: now,
      }));
      for (const part of chunk(fresh, 500)) await db.insertInto('event_deliveries').values(part).execute();
      return fresh.length;
    });
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
