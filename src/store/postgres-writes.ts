import type { Capabilities } from './capabilities.ts';
import { WAKE_CHANNEL } from './listen.ts';
import {
  ATTEMPT_COLUMNS,
  attemptRows,
  COLUMN_LIST,
  completionValues,
  INSERT_BOUND,
  INSERT_CONSTANTS,
  type NewCallback,
} from './message-writes.ts';
import type { MessagesTable } from './schema.ts';
import type { Step } from './steps.ts';
import type { Completion } from './store.ts';

/*
 * The PostgreSQL statements of the hot writes (docs/decisions/0028, 0034): a group of new messages,
 * a group of completions, the claim, and completions with the next claim — each ONE statement
 * (data-modifying CTEs) with the group bound as JSON, so a group commit is a single round trip that
 * commits by itself. The values they bind, and the SQLite steps, are in message-writes.ts.
 */

/*
 * PostgreSQL: one statement (docs/decisions/0028, 0039). $1 is the group as ONE jsonb array of
 * arrays — each row's bound values in INSERT_BOUND order, no key names — parsed once at bind time
 * and read by position; the columns every new message is born with the same value in
 * (INSERT_CONSTANTS) are SQL literals. json_populate_recordset over objects parsed the text twice
 * (json_in, then the function) and lexed 33 key names per row: ~25 % more server CPU per message.
 * CTEs share one snapshot, so the event rows ask the callbacks of the parameter ($2), not the table
 * the `cb` CTE is writing. The event rows come from $1 too: `accepted` for every message, and the
 * state a message is born in when it is not queued; `gate` is a one-time filter, so without an
 * enabled endpoint and without callbacks nothing of it runs. The foreign keys of `events` and
 * `message_callbacks` are checked at the end of the statement, after `ins` has written the messages.
 */
const PG_INT = new Set(['segments', 'priority', 'max_attempts']);
const PG_BIGINT = new Set(['categories', 'due_at', 'not_after', 'created_at', 'updated_at']);
const pgValue = (col: string, i: number) =>
  PG_INT.has(col) ? `(v->>${i})::integer` : PG_BIGINT.has(col) ? `(v->>${i})::bigint` : `v->>${i}`;
const bindIndex = (col: keyof MessagesTable) => INSERT_BOUND.indexOf(col);
const PG_INSERT_SELECT = COLUMN_LIST.split(', ')
  .map((col) => {
    const c = col as keyof MessagesTable;
    if (Object.hasOwn(INSERT_CONSTANTS, c)) return INSERT_CONSTANTS[c] === null ? 'NULL' : String(INSERT_CONSTANTS[c]);
    return pgValue(col, bindIndex(c));
  })
  .join(', ');
const ID = bindIndex('id');
const STATE = bindIndex('state');
const REASON = bindIndex('reason');

const PG_INSERT = `WITH ins AS (
  INSERT INTO messages (${COLUMN_LIST})
  SELECT ${PG_INSERT_SELECT} FROM jsonb_array_elements($1::jsonb) AS v
), cbs AS (
  SELECT * FROM json_populate_recordset(NULL::message_callbacks, $2::json)
), cb AS (
  INSERT INTO message_callbacks (message_id, url, events) SELECT message_id, url, events FROM cbs
), gate AS (
  SELECT 1 WHERE EXISTS (SELECT 1 FROM endpoints WHERE enabled = 1) OR EXISTS (SELECT 1 FROM cbs)
), ev AS (
  INSERT INTO events (message_id, at, type, from_state, to_state, source, detail)
  SELECT e.id, $3::bigint, e.type, e.from_state, e.to_state, 'api', e.detail
  FROM gate, jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(v, n),
    LATERAL (VALUES (0, v->>${ID}, 'accepted', NULL, 'queued', NULL),
                    (1, v->>${ID}, v->>${STATE}, 'queued', v->>${STATE}, v->>${REASON})) AS e(o, id, type, from_state, to_state, detail)
  WHERE (e.o = 0 OR e.type <> 'queued')
    AND (EXISTS (SELECT 1 FROM endpoints ep WHERE ep.enabled = 1 AND ep.events::jsonb ? ('message.' || e.type))
      OR EXISTS (SELECT 1 FROM cbs c WHERE c.message_id = e.id
        AND (c.events IS NULL OR c.events::jsonb ? ('message.' || e.type))))
  ORDER BY n, o
)
SELECT CASE WHEN $4::boolean THEN pg_notify('${WAKE_CHANNEL}', current_schema()) END AS woke`;

/** PostgreSQL: the one statement that inserts a group of new messages (see PG_INSERT). */
export function postgresInsertStep(
  rows: readonly MessagesTable[],
  callbacks: readonly NewCallback[],
  now: number,
  caps: Capabilities,
): Step {
  return {
    sql: PG_INSERT,
    params: [
      boundRowsJson(rows),
      JSON.stringify(callbacks),
      now,
      // Wakes idle workers in other processes when the statement commits; the payload names the
      // schema, so installs sharing the database do not wake each other.
      rows.length > 0 && caps.listenNotify,
    ],
  };
}

/** The rows' bound values as one JSON array of arrays (INSERT_BOUND order). */
function boundRowsJson(rows: readonly MessagesTable[]): string {
  const bound = INSERT_BOUND;
  const out: unknown[][] = [];
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const values: unknown[] = [];
    for (let c = 0; c < bound.length; c++) values.push(row[bound[c]!]);
    out.push(values);
  }
  return JSON.stringify(out);
}

/*
 * PostgreSQL: one statement for a group of completions — the guarded UPDATE, the attempt rows and
 * the event rows of the completions that applied, in the order given. $1: the completions (JSON),
 * $2: their attempt rows (JSON). The text is constant and the statement is prepared once per
 * connection (PG_PREPARED, open-store.ts): a group commit sends only Bind/Execute.
 * The UPDATE finds its rows by primary key (`id = ANY(ARRAY(…))`) and re-checks the state as
 * `(state = 'sending') IS NOT FALSE`, which matches no partial index's predicate: written
 * `state = 'sending'`, the planner (which guesses 100 rows for the JSON) hashed EVERY message in hand
 * out of messages_leases — all 1000 of them to settle a group of 16 (docs/decisions/0038).
 */
const PG_COMPLETION_CTES = `v AS (
  SELECT * FROM json_to_recordset($1::json) AS v(
    n int, id text, owner text, state text, reason text, inc int, due_at bigint, provider text, pmid text,
    at bigint, type text, source text, detail text)
), upd AS (
  UPDATE messages SET
    state = v.state, reason = v.reason, lease_owner = NULL, lease_until = NULL, updated_at = v.at,
    attempts = messages.attempts + v.inc,
    due_at = COALESCE(v.due_at, messages.due_at),
    provider = COALESCE(v.provider, messages.provider),
    provider_message_id = COALESCE(v.pmid, messages.provider_message_id),
    sent_at = CASE WHEN v.state IN ('sent', 'delivered') THEN v.at ELSE messages.sent_at END,
    delivered_at = CASE WHEN v.state = 'delivered' THEN v.at ELSE messages.delivered_at END
  FROM v
  WHERE messages.id = ANY(ARRAY(SELECT id FROM v)) AND messages.id = v.id
    AND (messages.state = 'sending') IS NOT FALSE AND messages.lease_owner = v.owner
  RETURNING messages.id
), att AS (
  INSERT INTO attempts (${ATTEMPT_COLUMNS})
  SELECT ${ATTEMPT_COLUMNS} FROM json_populate_recordset(NULL::attempts, $2::json)
), ev AS (
  INSERT INTO events (message_id, at, type, from_state, to_state, source, detail)
  SELECT v.id, v.at, v.type, 'sending', v.state, v.source, v.detail FROM v JOIN upd ON upd.id = v.id ORDER BY v.n
)`;

const PG_COMPLETE = `WITH ${PG_COMPLETION_CTES}
SELECT id FROM upd`;

/** The parameters of PG_COMPLETION_CTES ($1, $2). */
function completionParams(completions: readonly Completion[]): unknown[] {
  return [JSON.stringify(completions.map(completionValues)), JSON.stringify(attemptRows(completions))];
}

/** PostgreSQL: the one statement that settles a group of completions (see PG_COMPLETE); returns the applied ids. */
export function postgresCompleteStep(completions: readonly Completion[]): Step {
  return { sql: PG_COMPLETE, params: completionParams(completions) };
}

/*
 * PostgreSQL claim — inputs: $n now, $n+1 limit, $n+2 owner, $n+3 lease end, $n+4 lanes to skip
 * (text[], may be empty); output: the claimed rows. Invariant: a row is taken by one claim only.
 * `picked` walks the partial index messages_claim in priority order and locks what it takes
 * (SKIP LOCKED: competing workers take other rows); the UPDATE finds them by primary key through
 * `= ANY(ARRAY(…))` and checks the state again on the row it sees.
 * Three plan traps, measured at 20,000 queued rows (docs/decisions/0034, 0038):
 * - `WHERE id IN (SELECT id FROM picked)` was planned as a hash join over a sequential scan of the
 *   whole table (10–25 ms a claim); `= ANY(ARRAY(…))` is a primary-key lookup per row.
 * - With statistics that predate a backlog (a bulk load, a burst after a quiet spell: autovacuum
 *   analyzes only after 10 % of the table changed), the planner expects a handful of queued rows
 *   and reads ALL of them, sorting them under the row locks (26 ms a claim at 20,000, growing with
 *   the backlog). A limit the planner cannot read — `(SELECT $n+1)` — makes it assume a tenth of
 *   the rows is wanted, and an ordered walk of the index that stops early is then always cheaper.
 * - The re-check written `state = 'queued'` matches the predicate of messages_claim, and with few
 *   queued rows in the statistics the UPDATE walked that index and tested every row against the
 *   whole id array (n² comparisons: 8 of the 47 ms of a claim of 1000). Written `(state = 'queued')
 *   IS NOT FALSE` (the same test: `state` is NOT NULL) it proves no partial index's predicate, so the
 *   UPDATE looks its rows up by primary key (2 ms).
 */
const pgClaimCtes = (n: number) => `picked AS (
  SELECT id FROM messages
  WHERE state = 'queued' AND due_at <= $${n} AND lane <> ALL($${n + 4}::text[])
  ORDER BY priority DESC, due_at
  LIMIT (SELECT $${n + 1}::int) FOR UPDATE SKIP LOCKED
), claimed AS (
  UPDATE messages
  SET state = 'sending', lease_owner = $${n + 2}, lease_until = $${n + 3}, updated_at = $${n}
  WHERE id = ANY(ARRAY(SELECT id FROM picked)) AND (state = 'queued') IS NOT FALSE
  RETURNING messages.*
)`;

const PG_CLAIM = `WITH ${pgClaimCtes(1)}
SELECT * FROM claimed`;

/*
 * PostgreSQL: a group of completions and the next claim in ONE statement (docs/decisions/0034):
 * one round trip and one commit instead of BEGIN, complete, claim, COMMIT. Every CTE sees the
 * snapshot taken when the statement starts, so the claim sees the messages being settled as
 * `sending` and never picks them, nor touches a row `upd` writes (a retry due at once is claimed
 * by the next claim, not this one). One row always comes back: `applied` (how many completions
 * held), and the claimed message's columns (all NULL when nothing was claimed).
 */
const PG_COMPLETE_AND_CLAIM = `WITH ${PG_COMPLETION_CTES}, ${pgClaimCtes(3)}
SELECT a.applied, c.* FROM (SELECT count(*) AS applied FROM upd) a LEFT JOIN claimed c ON true`;

/** What the claim binds after its statement's other parameters. */
export interface PgClaimValues {
  now: number;
  limit: number;
  owner: string;
  leaseUntil: number;
  excludeLanes: readonly string[];
}

const claimParams = (c: PgClaimValues): unknown[] => [c.now, c.limit, c.owner, c.leaseUntil, [...c.excludeLanes]];

/** PostgreSQL: the claim alone (see pgClaimCtes); its rows are the claimed messages. */
export function postgresClaimStep(claim: PgClaimValues): Step {
  return { sql: PG_CLAIM, params: claimParams(claim) };
}

/** PostgreSQL: completions and the next claim in one statement (see PG_COMPLETE_AND_CLAIM). */
export function postgresCompleteAndClaimStep(completions: readonly Completion[], claim: PgClaimValues): Step {
  return { sql: PG_COMPLETE_AND_CLAIM, params: [...completionParams(completions), ...claimParams(claim)] };
}

/*
 * The statements PostgreSQL connections prepare by name (text → name; open-store.ts): constant
 * text run on every group commit, whose plan does not depend on the values bound (the JSON of a
 * group). The claims stay unnamed: their plan depends on the limit and on how many rows are
 * queued, and a cached generic plan could walk the table instead of the claim index.
 */
export const PG_PREPARED: ReadonlyMap<string, string> = new Map([[PG_COMPLETE, 'herald_complete']]);
