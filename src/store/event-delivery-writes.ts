import { uuidv7 } from '../domain/ids.ts';
import { callbackLane, ENDPOINT_LANE_PREFIX } from '../events/model.ts';
import { storableText } from './rows.ts';
import type { Step, StepResult } from './steps.ts';
import type { Completion } from './store.ts';

/*
 * The writes of the event deliveries' queue (docs/decisions/0036, 0037), as constant SQL text with a
 * whole group bound as ONE JSON parameter, the way message-writes.ts writes messages: a group of new
 * deliveries is one INSERT, a group of completions one statement on PostgreSQL (data-modifying CTEs)
 * and three steps on SQLite that its thread runs in one call (steps.ts), so SQLite's single writer is
 * held for one call instead of an interactive transaction of round trips.
 */

/**
 * A delivery to queue, as one element of the JSON array insertDeliveries reads:
 * [id, event_id, type, message_id, endpoint_id, url, lane, body, replay_of?].
 */
export type NewDelivery = [string, string, string, string | null, string | null, string, string, string, string?];

/** A new delivery of one event to an endpoint (`target.id`) or a callback URL (`target.id` null): its lane is chosen here only. */
export function newDelivery(
  now: number,
  eventId: string,
  type: string,
  messageId: string | null,
  body: string,
  target: { id: string | null; url: string },
  replayOf?: string,
): NewDelivery {
  const lane = target.id ? ENDPOINT_LANE_PREFIX + target.id : callbackLane(target.url);
  const d: NewDelivery = [uuidv7(now), eventId, type, messageId, target.id, target.url, lane, body];
  if (replayOf !== undefined) d.push(replayOf);
  return d;
}

/*
 * Queues deliveries: parameters (1) max_attempts, (2) now, (3) a JSON array of NewDelivery whose
 * body (element 7) is the position of its body in (4), a JSON array of the bodies (deliveriesJson).
 * One statement, whatever their number. A delivery of a message that is gone (erased since the
 * dispatcher read it) is left out. replay_of is NULL where the array stops short.
 * - SQLite: `EXISTS` per row (a primary-key probe; one writer, nothing to lock).
 * - PostgreSQL: the array is read as jsonb, parsed once (`->>` on a `json` value scans its text
 *   again for every field: nine scans a row), and each message is locked once (FOR KEY SHARE,
 *   which the worker's updates of a message do not block; an erasure in progress is waited for),
 *   not once per delivery. The bodies are parsed once too: `(SELECT $4::jsonb)` is an InitPlan,
 *   evaluated once whatever plan the statement gets (a bare `$4::jsonb` is folded only in a custom
 *   plan; a generic one would parse every body for every row). Decision 0046.
 */
const DELIVERY_COLUMNS =
  'id, event_id, type, message_id, endpoint_id, url, lane, body, replay_of, state, attempts, max_attempts, due_at, created_at, updated_at';

const SQLITE_INSERT_DELIVERIES = `INSERT INTO event_deliveries
  (${DELIVERY_COLUMNS})
SELECT ${[0, 1, 2, 3, 4, 5, 6].map((i) => `v.value->>${i}`).join(', ')}, ?4 ->> (v.value->>7), v.value->>8,
  'queued', 0, ?1, ?2, ?2, ?2
FROM json_each(?3) AS v
WHERE v.value->>3 IS NULL OR EXISTS (SELECT 1 FROM messages AS m WHERE m.id = v.value->>3)`;

const PG_INSERT_DELIVERIES = `WITH v AS (
  SELECT ${[0, 1, 2, 3, 4, 5, 6].map((i) => `x->>${i} AS c${i}`).join(', ')}, (SELECT $4::jsonb) ->> (x->>7)::int AS c7, x->>8 AS c8
  FROM jsonb_array_elements($3::jsonb) AS x
), live AS (
  SELECT m.id FROM messages AS m
  WHERE m.id = ANY(ARRAY(SELECT DISTINCT c3 FROM v WHERE c3 IS NOT NULL)) FOR KEY SHARE
)
INSERT INTO event_deliveries
  (${DELIVERY_COLUMNS})
SELECT ${[0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => `c${i}`).join(', ')}, 'queued', 0, $1::int, $2::bigint, $2::bigint, $2::bigint
FROM v
WHERE c3 IS NULL OR c3 IN (SELECT id FROM live)`;

/*
 * The deliveries as bound: each body once (the deliveries of one event share it, as newDelivery's
 * callers pass the same string), the deliveries pointing at it by its position. Escaping the bodies
 * into JSON was most of the dispatcher's event-loop time, once per endpoint (decision 0046).
 */
function deliveriesJson(deliveries: readonly NewDelivery[]): [rows: string, bodies: string] {
  const bodies: string[] = [];
  const rows: unknown[][] = new Array<unknown[]>(deliveries.length);
  let last: string | undefined;
  for (let i = 0; i < deliveries.length; i++) {
    const d = deliveries[i]!;
    if (d[7] !== last) bodies.push((last = d[7]));
    const r: unknown[] = d.slice();
    r[7] = bodies.length - 1;
    rows[i] = r;
  }
  return [JSON.stringify(rows), JSON.stringify(bodies)];
}

/** The one step that queues `deliveries` (see SQLITE_INSERT_DELIVERIES, PG_INSERT_DELIVERIES); its change count is how many were queued. */
export function insertDeliveriesStep(
  pg: boolean,
  deliveries: readonly NewDelivery[],
  maxAttempts: number,
  now: number,
): Step {
  return {
    sql: pg ? PG_INSERT_DELIVERIES : SQLITE_INSERT_DELIVERIES,
    params: [maxAttempts, now, ...deliveriesJson(deliveries)],
  };
}

/*
 * A completion of a delivery as one JSON array, read by position (SQLite extracts array elements by
 * index far cheaper than object members by name: 5 µs against 21 µs a row for the attempts' INSERT,
 * scratch measurement, decision 0037). The attempt's fields are left off when there was none: they
 * read as NULL, and `outcome IS NULL` keeps the delivery's status code.
 */
const C = {
  id: 0,
  owner: 1,
  state: 2,
  reason: 3,
  inc: 4,
  due_at: 5,
  at: 6,
  number: 7,
  started: 8,
  duration: 9,
  outcome: 10,
  code: 11,
  response: 12,
  error: 13,
} as const;

/** Outside text as every store can hold it inside JSON (see storableText). */
function storable(s: string | null | undefined): string | null {
  return storableText(s) ?? null;
}

function completionValues(c: Completion): unknown[] {
  const to = c.to === 'queued' ? 'queued' : c.to === 'delivered' || c.to === 'sent' ? 'delivered' : 'failed';
  const v: unknown[] = [c.id, c.owner, to, storable(c.reason), c.countsAttempt ? 1 : 0, c.dueAt ?? null, c.at];
  const a = c.attempt;
  if (a)
    v.push(
      a.number,
      a.startedAt,
      Math.round(a.durationMs),
      a.outcome,
      a.statusCode ?? null,
      storable(a.response),
      storable(a.error),
    );
  return v;
}

/** Field `f` of the completion `v` (SQLite: a json_each row; PostgreSQL: a json_array_elements value). */
const sq = (f: keyof typeof C) => `v.value->>${C[f]}`;

/*
 * The guard of a completion (the delivery is `sending` under the completing lease owner), as SQLite's
 * steps check it BEFORE the UPDATE that settles the group: one writer and one transaction, so every
 * step sees the same rows. `+column` keeps the planner off the partial state indexes: it walks the
 * JSON and finds each delivery by primary key.
 */
const SQLITE_APPLIES = `d.id = ${sq('id')} AND +d.state = 'sending' AND +d.lease_owner = ${sq('owner')}`;

/*
 * SQLite ?1: the completions. The attempts of the completions that apply. In no particular order: a
 * delivery has at most one attempt in a group, and its log is ordered by id within the delivery.
 */
const SQLITE_ATTEMPTS = `INSERT INTO event_attempts (delivery_id, number, started_at, duration_ms, outcome, status_code, response, error)
SELECT d.id, ${(['number', 'started', 'duration', 'outcome', 'code', 'response', 'error'] as const).map(sq).join(', ')}
FROM json_each(?1) AS v CROSS JOIN event_deliveries AS d
WHERE ${SQLITE_APPLIES} AND ${sq('outcome')} IS NOT NULL`;

/*
 * Each endpoint's run of failures (failing_since), from the attempts of the completions that apply:
 * a success ends it (NULL), a failure starts it (the group's earliest failed attempt) unless it runs
 * already. Rows already so are not written. A failing endpoint that is enabled and has failed since
 * the threshold (SQLite ?2, PostgreSQL $2; NULL: no auto-disable) is touched too, and comes back
 * with `due`: the caller disables it. The CASE guards are the same in both dialects.
 */
const MARK_WHERE = (e: string) => `CASE WHEN g.ok THEN ${e}.failing_since IS NOT NULL
    ELSE ${e}.failing_since IS NULL OR (${e}.enabled = 1 AND ${e}.failing_since <= THRESHOLD) END`;
const MARK_SET = (e: string) =>
  `failing_since = CASE WHEN g.ok THEN NULL ELSE COALESCE(${e}.failing_since, g.since) END`;
const MARK_RETURNING = (e: string) =>
  `${e}.id, ${e}.url, ${e}.failing_since, ${e}.enabled = 1 AND ${e}.failing_since <= THRESHOLD AS due`;

const SQLITE_MARKS = `UPDATE endpoints SET ${MARK_SET('endpoints')}
FROM (
  SELECT d.endpoint_id AS ep, max(${sq('outcome')} = 'ok') AS ok,
    min(CASE WHEN ${sq('outcome')} <> 'ok' THEN ${sq('started')} END) AS since
  FROM json_each(?1) AS v CROSS JOIN event_deliveries AS d
  WHERE ${SQLITE_APPLIES} AND ${sq('outcome')} IS NOT NULL AND d.endpoint_id IS NOT NULL
  GROUP BY d.endpoint_id
) AS g
WHERE endpoints.id = g.ep AND ${MARK_WHERE('endpoints')}
RETURNING ${MARK_RETURNING('endpoints')}`.replaceAll('THRESHOLD', '?2');

/** SQLite ?1: the completions. Settles those that apply; returns their ids. Runs last: the steps before see the guard unchanged. */
const SQLITE_COMPLETE = `UPDATE event_deliveries SET
  state = ${sq('state')}, reason = ${sq('reason')}, lease_owner = NULL, lease_until = NULL,
  updated_at = ${sq('at')}, attempts = attempts + (${sq('inc')}),
  due_at = COALESCE(${sq('due_at')}, due_at),
  status_code = CASE WHEN ${sq('outcome')} IS NULL THEN status_code ELSE ${sq('code')} END
FROM json_each(?1) AS v
WHERE event_deliveries.id = ${sq('id')} AND +event_deliveries.state = 'sending'
  AND +event_deliveries.lease_owner = ${sq('owner')}
RETURNING event_deliveries.id`;

/*
 * PostgreSQL: the same in ONE statement. $1: the completions (JSON), $2: the disable threshold.
 * `upd` settles those that apply; the attempts and the failure marks read its RETURNING (all CTEs
 * share one snapshot). One row always comes back: `applied`, and an endpoint due to be disabled
 * (NULL id when none), one row each. The UPDATE finds its rows by primary key (`id = ANY(ARRAY(…))`)
 * and checks the state as `(state = 'sending') IS NOT FALSE` (state is NOT NULL: the same test), which
 * matches no partial index's predicate: written `state = 'sending'`, the planner hashed every delivery
 * in hand out of event_deliveries_lease — 1,000 rows to settle 16 (as decision 0038 found for messages).
 */
const pgField = (f: keyof typeof C, type = '') => (type ? `(x->>${C[f]})::${type}` : `x->>${C[f]}`) + ` AS ${f}`;
const PG_COMPLETE = `WITH v AS (
  SELECT ${[
    pgField('id'),
    pgField('owner'),
    pgField('state'),
    pgField('reason'),
    pgField('inc', 'int'),
    pgField('due_at', 'bigint'),
    pgField('at', 'bigint'),
    pgField('number', 'int'),
    pgField('started', 'bigint'),
    pgField('duration', 'int'),
    pgField('outcome'),
    pgField('code', 'int'),
    pgField('response'),
    pgField('error'),
  ].join(', ')}
  FROM json_array_elements($1::json) AS x
), upd AS (
  UPDATE event_deliveries AS d SET
    state = v.state, reason = v.reason, lease_owner = NULL, lease_until = NULL, updated_at = v.at,
    attempts = d.attempts + v.inc, due_at = COALESCE(v.due_at, d.due_at),
    status_code = CASE WHEN v.outcome IS NULL THEN d.status_code ELSE v.code END
  FROM v
  WHERE d.id = ANY(ARRAY(SELECT id FROM v)) AND d.id = v.id
    AND (d.state = 'sending') IS NOT FALSE AND d.lease_owner = v.owner
  RETURNING d.id, d.endpoint_id
), done AS (
  SELECT v.*, upd.endpoint_id FROM v JOIN upd ON upd.id = v.id WHERE v.outcome IS NOT NULL
), att AS (
  INSERT INTO event_attempts (delivery_id, number, started_at, duration_ms, outcome, status_code, response, error)
  SELECT id, number, started, duration, outcome, code, response, error FROM done
), g AS (
  SELECT endpoint_id AS ep, bool_or(outcome = 'ok') AS ok, min(started) FILTER (WHERE outcome <> 'ok') AS since
  FROM done WHERE endpoint_id IS NOT NULL GROUP BY endpoint_id
), marks AS (
  UPDATE endpoints AS e SET ${MARK_SET('e')}
  FROM g WHERE e.id = g.ep AND ${MARK_WHERE('e')}
  RETURNING ${MARK_RETURNING('e')}
)
SELECT (SELECT count(*) FROM upd) AS applied, m.id, m.url, m.failing_since
FROM (SELECT 1) AS one LEFT JOIN marks AS m ON m.due`.replaceAll('THRESHOLD', '$2::bigint');

/** An endpoint that has failed for the whole disable period and is still enabled. */
export interface DueEndpoint {
  id: string;
  url: string;
  failingSince: number;
}

/**
 * The steps that settle a group of completions, and how to read their results: how many applied,
 * and the endpoints due to be disabled. `disableBefore`: an enabled endpoint failing since then or
 * earlier is due (null: none is).
 */
export function completeDeliveriesSteps(
  pg: boolean,
  completions: readonly Completion[],
  disableBefore: number | null,
): { steps: Step[]; applied(r: readonly StepResult[]): number; due(r: readonly StepResult[]): DueEndpoint[] } {
  const values = JSON.stringify(completions.map(completionValues));
  if (pg) {
    type Row = { applied: number | string; id: string | null; url: string; failing_since: number | string };
    const rows = (r: readonly StepResult[]) => r[0]!.rows as Row[];
    return {
      steps: [{ sql: PG_COMPLETE, params: [values, disableBefore] }],
      applied: (r) => Number(rows(r)[0]?.applied ?? 0),
      due: (r) =>
        rows(r).flatMap((e) => (e.id ? [{ id: e.id, url: e.url, failingSince: Number(e.failing_since) }] : [])),
    };
  }
  const steps: Step[] = [];
  // Without an attempt in the group (breaker releases) there is nothing to record or mark.
  if (completions.some((c) => c.attempt))
    steps.push({ sql: SQLITE_ATTEMPTS, params: [values] }, { sql: SQLITE_MARKS, params: [values, disableBefore] });
  steps.push({ sql: SQLITE_COMPLETE, params: [values] });
  type Mark = { id: string; url: string; failing_since: number; due: number | null };
  return {
    steps,
    applied: (r) => r[r.length - 1]!.rows.length,
    due: (r) =>
      r.length > 1
        ? (r[1]!.rows as Mark[]).flatMap((e) =>
            e.due ? [{ id: e.id, url: e.url, failingSince: Number(e.failing_since) }] : [],
          )
        : [],
  };
}
