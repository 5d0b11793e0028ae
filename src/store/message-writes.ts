import type { MessagesTable } from './schema.ts';
import type { Step, StepResult } from './steps.ts';
import type { CampaignContent, CampaignPageRow, CampaignPageShared, Completion } from './store.ts';

/*
 * The statements of the two hot writes — a group of new messages, a group of completions — as
 * constant SQL text with the whole group bound as ONE JSON parameter (docs/decisions/0028):
 * SQLite reads it with json_each (jsonb_each is missing from the SQLite of Node 22.16), PostgreSQL with json_populate_recordset / json_to_recordset.
 * Constant text is prepared once (the SQLite thread keeps it; no statement per row count), and one
 * string crosses to the SQLite thread or the PostgreSQL socket instead of 33 values per row.
 * Two exceptions on SQLite, where extracting values from JSON cost more than binding them: the
 * messages INSERT binds plain values in multi-row VALUES of 100, 10 and 1 rows (docs/decisions/0030),
 * and the completions bind theirs in VALUES of 128, 32 and 8 rows (docs/decisions/0044).
 *
 * PostgreSQL runs each operation as ONE statement (data-modifying CTEs), so a group commit is a
 * single round trip that commits by itself: those statements are in postgres-writes.ts, with the
 * values shared by both stores exported from here. SQLite has no data-modifying CTEs: it gets a
 * short list of steps that its thread runs in one call (steps.ts).
 */

/** The columns of a new message, in the order of the JSON arrays sent to SQLite. */
const COLUMNS: readonly (keyof MessagesTable)[] = [
  'id',
  'channel',
  'provider',
  'lane',
  'recipient',
  'sender',
  'subject',
  'body_text',
  'body_html',
  'payload',
  'segments',
  'priority',
  'categories',
  'unique_id',
  'idempotency_key',
  'request_hash',
  'campaign_id',
  'contact_id',
  'state',
  'reason',
  'attempts',
  'max_attempts',
  'due_at',
  'not_after',
  'lease_owner',
  'lease_until',
  'provider_message_id',
  'engagement',
  'metadata',
  'created_at',
  'sent_at',
  'delivered_at',
  'updated_at',
];
export const COLUMN_LIST = COLUMNS.join(', ');

/*
 * SQLite: the messages of a group as multi-row INSERTs of plain values (docs/decisions/0030), in
 * chunks of 100, 10 and 1 rows: three constant texts, each prepared once on the SQLite thread, and
 * a group of n rows is ⌊n/100⌋ + ⌊n%100/10⌋ + n%10 statements. Plain `?` placeholders: node:sqlite
 * binds numbered ones (`?NNN`) by looking each up, quadratic in their count. 100 rows × 33 columns
 * = 3,300 parameters, under SQLITE_MAX_VARIABLE_NUMBER (32,766).
 *
 * `OR FAIL`, not the default ABORT: a multi-row INSERT on a table with a trigger otherwise opens a
 * statement journal inside the transaction, copying every page it touches to a temporary file so
 * that a failing row can undo the rows before it (≈15 % of the SQLite thread's CPU, perf). Nothing
 * needs that undo: a failed step fails its whole list, whose transaction is rolled back — its own
 * (sqlite-thread/thread.ts, steps.ts) or the caller's, which no caller commits after an error.
 */
export const SQLITE_INSERT_CHUNKS = [100, 10, 1] as const;

/*
 * The columns every new message is born with the same value in (rows.ts rowFromNewMessage: no
 * lease, no attempt, no provider id, not sent): written as SQL literals in the INSERT, not bound
 * per row. 7 of 33 values per message fewer to flatten, clone to the thread and bind
 * (docs/decisions/0039). A test checks rowFromNewMessage against this table.
 */
export const INSERT_CONSTANTS: Readonly<Partial<Record<keyof MessagesTable, 0 | null>>> = {
  attempts: 0,
  lease_owner: null,
  lease_until: null,
  provider_message_id: null,
  engagement: 0,
  sent_at: null,
  delivered_at: null,
};
const isConstant = (c: keyof MessagesTable) => Object.hasOwn(INSERT_CONSTANTS, c);
/** The columns bound per row, in COLUMNS order. */
export const INSERT_BOUND: readonly (keyof MessagesTable)[] = COLUMNS.filter((c) => !isConstant(c));
const sqlLiteral = (v: 0 | null | undefined) => (v === null ? 'NULL' : String(v));
const ROW_PLACEHOLDERS = `(${COLUMNS.map((c) => (isConstant(c) ? sqlLiteral(INSERT_CONSTANTS[c]) : '?')).join(', ')})`;
const SQLITE_INSERTS = SQLITE_INSERT_CHUNKS.map(
  (n) =>
    [
      n,
      `INSERT OR FAIL INTO messages (${COLUMN_LIST}) VALUES ${Array<string>(n).fill(ROW_PLACEHOLDERS).join(', ')}`,
    ] as const,
);

/** SQLite: the INSERT steps of a group of new messages, their bound values flattened row by row. */
export function sqliteMessageInsertSteps(rows: readonly MessagesTable[]): Step[] {
  const steps: Step[] = [];
  const bound = INSERT_BOUND;
  const width = bound.length;
  let i = 0;
  // Indexed loops: until this function is optimised, a for…of allocates an iterator result per column.
  for (let s = 0; s < SQLITE_INSERTS.length; s++) {
    const [size, sql] = SQLITE_INSERTS[s]!;
    for (; rows.length - i >= size; i += size) {
      // Filled by push, not preallocated: a holey array crosses to the thread as a sparse one (slower to clone).
      const params: unknown[] = [];
      for (let r = i; r < i + size; r++) {
        const row = rows[r]!;
        for (let c = 0; c < width; c++) params.push(row[bound[c]!]);
      }
      steps.push({ sql, params });
    }
  }
  return steps;
}

/** A new message's callback (migration 0008), as the insert writes it. */
export interface NewCallback {
  message_id: string;
  url: string;
  events: string | null;
}

/**
 * The status-event rows an insert may owe (migration 0008): `accepted` for every new message, and
 * the state a message is born in when a rule settled it at once (suppressed). Written only when an
 * enabled endpoint or the message's own callback wants that type — decided in SQL, in the same
 * statement, so an install without endpoints pays one indexed look per group and nothing per message.
 * As JSON arrays: [message id, type, to_state, detail].
 */
export type EventCandidate = [string, string, string, string | null];

export function eventCandidates(rows: readonly MessagesTable[]): EventCandidate[] {
  const out: EventCandidate[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    out.push([r.id, 'accepted', 'queued', null]);
    if (r.state !== 'queued') out.push([r.id, r.state, r.state, r.reason]);
  }
  return out;
}

/** Whether someone wants event `type` of message `id` (SQL over the candidate `v`). */
const wantedSqlite = (id: string, type: string) => `(
  EXISTS (SELECT 1 FROM endpoints e, json_each(e.events) t WHERE e.enabled = 1 AND t.value = 'message.' || ${type})
  OR EXISTS (SELECT 1 FROM message_callbacks c WHERE c.message_id = ${id}
    AND (c.events IS NULL OR EXISTS (SELECT 1 FROM json_each(c.events) t WHERE t.value = 'message.' || ${type}))))`;

const SQLITE_CALLBACKS = `INSERT INTO message_callbacks (message_id, url, events)
SELECT value->>0, value->>1, value->>2 FROM json_each(?)`;

const SQLITE_EVENTS = `INSERT INTO events (message_id, at, type, from_state, to_state, source, detail)
SELECT v.value->>0, ?, v.value->>1, CASE WHEN v.value->>1 = 'accepted' THEN NULL ELSE 'queued' END, v.value->>2, 'api', v.value->>3
FROM json_each(?) AS v WHERE ${wantedSqlite('v.value->>0', '(v.value->>1)')}
ORDER BY v.key`;

/** Any enabled endpoint at all: when none, and no message of the group has a callback, no event row is owed. */
const SQLITE_ANY_ENDPOINT = `SELECT 1 FROM endpoints WHERE enabled = 1 LIMIT 1`;

/** SQLite: the steps that insert a group of new messages with their callbacks and owed event rows. */
export function sqliteInsertSteps(
  rows: readonly MessagesTable[],
  callbacks: readonly NewCallback[],
  now: number,
): Step[] {
  const steps = sqliteMessageInsertSteps(rows);
  const events = { sql: SQLITE_EVENTS, params: [now, JSON.stringify(eventCandidates(rows))] };
  if (callbacks.length > 0) {
    steps.push({
      sql: SQLITE_CALLBACKS,
      params: [JSON.stringify(callbacks.map((c) => [c.message_id, c.url, c.events]))],
    });
    steps.push(events);
  } else {
    steps.push({ sql: SQLITE_ANY_ENDPOINT, params: [] }, { ...events, ifPrevious: true });
  }
  return steps;
}

/** A completion's values by name, as both stores' statements read them; `n` keeps the group's order. */
export function completionValues(c: Completion, n: number) {
  return {
    n,
    id: c.id,
    owner: c.owner,
    state: c.to,
    reason: c.reason ?? null,
    inc: c.countsAttempt ? 1 : 0,
    due_at: c.dueAt ?? null,
    provider: c.provider ?? null,
    pmid: c.providerMessageId ?? null,
    at: c.at,
    type: c.event.type,
    source: c.event.source,
    detail: c.event.detail ?? null,
  };
}

/** The attempt rows of a group of completions (recorded even where the lease was lost: the provider was called). */
export function attemptRows(completions: readonly Completion[]) {
  return completions.flatMap((c) =>
    c.attempt
      ? [
          {
            message_id: c.id,
            number: c.attempt.number,
            provider: c.attempt.provider,
            started_at: c.attempt.startedAt,
            duration_ms: Math.round(c.attempt.durationMs),
            outcome: c.attempt.outcome,
            status_code: c.attempt.statusCode,
            response: c.attempt.response,
            error: c.attempt.error,
          },
        ]
      : [],
  );
}

export const ATTEMPT_COLUMNS =
  'message_id, number, provider, started_at, duration_ms, outcome, status_code, response, error';

/*
 * SQLite completions — input: a group of completions; output: steps whose UPDATEs' change counts
 * say how many applied (sqliteCompletion; no RETURNING: nothing but the count is read). Three statements per chunk of the group: the event rows, for
 * exactly the completions whose guard holds (state `sending`, same lease owner); the UPDATE under
 * the same guard (one writer, one transaction: both see the same rows); the attempt rows (recorded
 * even where the lease was lost: the provider was called). `+column` keeps the planner off the
 * state indexes: it walks the VALUES and finds each message by primary key (a plan test checks it).
 *
 * Plain values in multi-row VALUES, not one JSON parameter (docs/decisions/0044): each `->>` of a
 * json_each row re-renders and re-reads the row's JSON, and the three JSON statements cost
 * ~25 µs per completion on the SQLite thread against ~13 µs bound. Chunks of 128, 32 and 8 rows
 * (nine constant texts, prepared once); the last chunk is padded to 8 with rows of NULLs, which
 * match no message and write no attempt. A CROSS JOIN keeps the VALUES the outer loop, so event
 * rows are written in the group's order.
 */
export const SQLITE_COMPLETION_CHUNKS = [128, 32, 8] as const;
const PAD = SQLITE_COMPLETION_CHUNKS[SQLITE_COMPLETION_CHUNKS.length - 1]!;

const valueRows = (rows: number, width: number) =>
  Array<string>(rows)
    .fill(`(${Array<string>(width).fill('?').join(', ')})`)
    .join(', ');

/** Per completion: id, owner, at, type, to_state, source, detail. */
const EVENT_WIDTH = 7;
const sqliteCompletionEvents = (
  rows: number,
) => `INSERT INTO events (message_id, at, type, from_state, to_state, source, detail)
SELECT m.id, v.column3, v.column4, 'sending', v.column5, v.column6, v.column7
FROM (VALUES ${valueRows(rows, EVENT_WIDTH)}) AS v CROSS JOIN messages AS m
WHERE m.id = v.column1 AND +m.state = 'sending' AND +m.lease_owner = v.column2`;

/** Per completion: id, owner, state, reason, attempt increment, due_at, provider, provider id, at. */
const UPDATE_WIDTH = 9;
const sqliteCompletionUpdate = (rows: number) => `UPDATE messages SET
  state = v.column3, reason = v.column4, lease_owner = NULL, lease_until = NULL,
  updated_at = v.column9,
  attempts = attempts + v.column5,
  due_at = COALESCE(v.column6, due_at),
  provider = COALESCE(v.column7, provider),
  provider_message_id = COALESCE(v.column8, provider_message_id),
  sent_at = CASE WHEN v.column3 IN ('sent', 'delivered') THEN v.column9 ELSE sent_at END,
  delivered_at = CASE WHEN v.column3 = 'delivered' THEN v.column9 ELSE delivered_at END
FROM (VALUES ${valueRows(rows, UPDATE_WIDTH)}) AS v
WHERE messages.id = v.column1 AND +messages.state = 'sending' AND +messages.lease_owner = v.column2`;

/** Per attempt, in ATTEMPT_COLUMNS order (padding rows have a NULL message id and are left out). */
const ATTEMPT_WIDTH = 9;
const sqliteCompletionAttempts = (rows: number) => `INSERT INTO attempts (${ATTEMPT_COLUMNS})
SELECT * FROM (VALUES ${valueRows(rows, ATTEMPT_WIDTH)}) WHERE column1 IS NOT NULL`;

/** The three statement texts per chunk size, built once. */
const SQLITE_COMPLETION_SQL = new Map(
  SQLITE_COMPLETION_CHUNKS.map((n) => [
    n,
    { events: sqliteCompletionEvents(n), update: sqliteCompletionUpdate(n), attempts: sqliteCompletionAttempts(n) },
  ]),
);

/** The chunk sizes a group of `n` completions is written in (the last one padded). */
export function completionChunks(n: number): number[] {
  const out: number[] = [];
  let left = n;
  for (const size of SQLITE_COMPLETION_CHUNKS) for (; left >= size; left -= size) out.push(size);
  for (; left > 0; left -= PAD) out.push(PAD);
  return out;
}

/*
 * Each chunk's values, flattened row by row and padded with NULLs. Indexed loops and push: a holey
 * array crosses to the thread as a sparse one (slower to clone).
 */
function pushNulls(out: unknown[], count: number): void {
  for (let i = 0; i < count; i++) out.push(null);
}

function chunkSteps(completions: readonly Completion[], from: number, size: number): Step[] {
  const sql = SQLITE_COMPLETION_SQL.get(size as (typeof SQLITE_COMPLETION_CHUNKS)[number])!;
  const events: unknown[] = [];
  const update: unknown[] = [];
  const attempts: unknown[] = [];
  const to = Math.min(from + size, completions.length);
  for (let i = from; i < to; i++) {
    const c = completions[i]!;
    const reason = c.reason ?? null;
    events.push(c.id, c.owner, c.at, c.event.type, c.to, c.event.source, c.event.detail ?? null);
    update.push(c.id, c.owner, c.to, reason, c.countsAttempt ? 1 : 0, c.dueAt ?? null, c.provider ?? null);
    update.push(c.providerMessageId ?? null, c.at);
    const a = c.attempt;
    if (a) attempts.push(c.id, a.number, a.provider, a.startedAt, Math.round(a.durationMs), a.outcome);
    if (a) attempts.push(a.statusCode, a.response, a.error);
  }
  const pad = from + size - to;
  pushNulls(events, pad * EVENT_WIDTH);
  pushNulls(update, pad * UPDATE_WIDTH);
  const steps: Step[] = [
    { sql: sql.events, params: events },
    { sql: sql.update, params: update },
  ];
  if (attempts.length > 0) {
    pushNulls(attempts, size * ATTEMPT_WIDTH - attempts.length);
    steps.push({ sql: sql.attempts, params: attempts });
  }
  return steps;
}

/**
 * SQLite: the steps that settle a group of completions (all chunks, in one call and one transaction),
 * and, from their results, how many applied (the UPDATEs' change counts: triggers' changes are not in them).
 */
export function sqliteCompletion(completions: readonly Completion[]): {
  steps: Step[];
  applied: (results: readonly StepResult[]) => number;
} {
  const steps: Step[] = [];
  const updates: number[] = [];
  let from = 0;
  for (const size of completionChunks(completions.length)) {
    updates.push(steps.length + 1);
    for (const s of chunkSteps(completions, from, size)) steps.push(s);
    from += size;
  }
  return {
    steps,
    applied: (results) => {
      let n = 0;
      for (const k of updates) n += Number(results[k]!.changes ?? 0);
      return n;
    },
  };
}

/*
 * Campaign fan-out pages (docs/decisions/0031) — inputs: what every message of the page shares
 * (bound once, as plain parameters), and per contact only what varies (one JSON array per row);
 * output: the same rows, event rows included, that insertMany would write for the expanded
 * messages (a conformance test compares every column). The JSON of a row is `CAMPAIGN_ROW` in
 * order; the content columns are COALESCE(row, shared): a page whose content is the same for
 * every contact binds it once and sends nulls per row, a personalised page binds NULL and sends
 * each row's own (null stays null). Only SQLite uses it: PostgreSQL expands the page to full
 * messages and runs PG_INSERT (its driver sends one JSON text either way).
 */

/** The per-contact columns of a campaign page, in the order of each row's JSON array. */
const CAMPAIGN_ROW = [
  'id',
  'recipient',
  'contact_id',
  'due_at',
  'state',
  'reason',
  'subject',
  'body_text',
  'body_html',
  'segments',
] as const satisfies readonly (keyof MessagesTable)[];

/** The columns of a campaign page bound once: the campaign's, and the page's time. */
interface CampaignPageValues {
  channel: string;
  provider: string | null;
  lane: string;
  sender: string | null;
  priority: number;
  categories: number;
  campaign_id: string;
  max_attempts: number;
  not_after: number | null;
  created_at: number;
  updated_at: number;
  /** The content when every contact gets the same; NULL each when rows carry their own. */
  subject: string | null;
  body_text: string | null;
  body_html: string | null;
  segments: number | null;
}

/** The content columns: taken from the row, else from the page. */
const CAMPAIGN_CONTENT = new Set<string>(['subject', 'body_text', 'body_html', 'segments']);
/** The columns bound once per page. */
const CAMPAIGN_SHARED = new Set<string>([
  'channel',
  'provider',
  'lane',
  'sender',
  'priority',
  'categories',
  'campaign_id',
  'max_attempts',
  'not_after',
  'created_at',
  'updated_at',
]);
/** Columns no campaign message sets: their value at insert (NULL for the rest). */
const CAMPAIGN_CONSTANT: Partial<Record<string, string>> = { attempts: '0', engagement: '0' };

/** The campaign insert, and the names of its `?` parameters in order (the rows' JSON comes last). */
function campaignInsert(): { sql: string; params: (keyof CampaignPageValues)[] } {
  const params: (keyof CampaignPageValues)[] = [];
  const select = COLUMNS.map((col) => {
    const i = (CAMPAIGN_ROW as readonly string[]).indexOf(col);
    const bind = (expr: string) => (params.push(col as keyof CampaignPageValues), expr);
    if (i >= 0) return CAMPAIGN_CONTENT.has(col) ? bind(`COALESCE(value->>${i}, ?)`) : `value->>${i}`;
    return CAMPAIGN_SHARED.has(col) ? bind('?') : (CAMPAIGN_CONSTANT[col] ?? 'NULL');
  });
  return { sql: `INSERT INTO messages (${COLUMN_LIST})\nSELECT ${select.join(', ')} FROM json_each(?)`, params };
}

const SQLITE_CAMPAIGN_INSERT = campaignInsert();

/*
 * The event rows of a campaign page, from the same JSON: `accepted` for every message, and the
 * state a message is born in when it is not queued (expired before its window, failed content),
 * in the order insertMany writes them. ?1 = now, ?2 = the rows. (The names differ from json_each's
 * own columns — id, type — which the endpoint check's json_each would otherwise shadow.)
 */
const SQLITE_CAMPAIGN_EVENTS = `INSERT INTO events (message_id, at, type, from_state, to_state, source, detail)
SELECT ev_id, ?1, ev_type, ev_from, ev_to, 'api', ev_detail FROM (
  SELECT v.key AS k, 0 AS o, v.value->>0 AS ev_id, 'accepted' AS ev_type, NULL AS ev_from, 'queued' AS ev_to,
    NULL AS ev_detail
  FROM json_each(?2) AS v
  UNION ALL
  SELECT v.key, 1, v.value->>0, v.value->>4, 'queued', v.value->>4, v.value->>5
  FROM json_each(?2) AS v WHERE v.value->>4 <> 'queued'
) WHERE ${wantedSqlite('ev_id', 'ev_type')}
ORDER BY k, o`;

/**
 * SQLite: the steps that write one group of a campaign page: the insert, and the owed event rows
 * when an enabled endpoint wants any (a campaign's messages have no callbacks of their own).
 */
export function sqliteCampaignSteps(
  shared: CampaignPageShared,
  rows: readonly CampaignPageRow[],
  ids: readonly string[],
  now: number,
): Step[] {
  const values = campaignValues(shared, now);
  const own = !shared.content;
  const rowsJson = JSON.stringify(rows.map((r, i) => campaignRowValues(ids[i]!, r, own ? r.content : null)));
  return [
    { sql: SQLITE_CAMPAIGN_INSERT.sql, params: [...SQLITE_CAMPAIGN_INSERT.params.map((p) => values[p]), rowsJson] },
    { sql: SQLITE_ANY_ENDPOINT, params: [] },
    { sql: SQLITE_CAMPAIGN_EVENTS, params: [now, rowsJson], ifPrevious: true },
  ];
}

/** The columns a campaign page binds once (SQLite). */
function campaignValues(s: CampaignPageShared, now: number): CampaignPageValues {
  const c = s.content;
  return {
    channel: s.channel,
    provider: s.provider,
    lane: s.lane,
    sender: s.sender,
    priority: s.priority,
    categories: s.categories,
    campaign_id: s.campaignId,
    max_attempts: s.maxAttempts,
    not_after: s.notAfter,
    created_at: now,
    updated_at: now,
    subject: c?.subject ?? null,
    body_text: c?.text ?? null,
    body_html: c?.html ?? null,
    segments: c?.segments ?? null,
  };
}

/** One row's values, in the order of CAMPAIGN_ROW (`own`: its content, or null when the page shares one). */
function campaignRowValues(id: string, r: CampaignPageRow, own: CampaignContent | null): unknown[] {
  return [
    id,
    r.recipient,
    r.contactId,
    r.dueAt,
    r.state,
    r.reason,
    own?.subject ?? null,
    own?.text ?? null,
    own?.html ?? null,
    own?.segments ?? null,
  ];
}
