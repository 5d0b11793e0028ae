import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite } from './node-sqlite-driver.ts';
import { migrateSqlite } from './migrator.ts';
import { rowFromNewMessage } from './rows.ts';
import {
  INSERT_BOUND,
  INSERT_CONSTANTS,
  SQLITE_COMPLETION_CHUNKS,
  SQLITE_INSERT_CHUNKS,
  completionChunks,
  sqliteCompletion,
  sqliteInsertSteps,
  sqliteMessageInsertSteps,
} from './message-writes.ts';
import type { MessagesTable } from './schema.ts';
import type { Step, StepResult } from './steps.ts';
import type { Completion } from './store.ts';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';

/** A delivered webhook's completion, as the worker writes it. */
const delivered = (id: string): Completion => ({
  id,
  owner: 'w1',
  to: 'delivered',
  at: 1000,
  countsAttempt: true,
  provider: 'webhook',
  attempt: {
    number: 1,
    provider: 'webhook',
    startedAt: 990,
    durationMs: 10,
    outcome: 'ok',
    statusCode: 200,
    response: 'ok',
    error: null,
  },
  event: { type: 'delivered', source: 'worker' },
});

/*
 * A group of completions on SQLite must find each message by its primary key: a plan that walks a
 * state index instead visits every `sending` message once per completion (quadratic under load).
 */
test('SQLite completions walk the VALUES and find each message by primary key', () => {
  const db = openSqlite(':memory:');
  migrateSqlite(db, () => 0);
  const { steps } = sqliteCompletion(Array.from({ length: 128 + 32 + 8 }, (_, i) => delivered(`m${i}`)));
  assert.equal(steps.length, 9);
  for (const statement of steps.filter((s) => !s.sql.startsWith('INSERT INTO attempts'))) {
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN ${statement.sql}`)
      .all(...(statement.params as SQLInputValue[]))
      .map((r) => String(r.detail));
    assert.ok(
      plan.some((d) => /^SEARCH m(essages)? USING (INDEX sqlite_autoindex_messages_1|PRIMARY KEY) \(id=\?\)$/.test(d)),
      plan.join('\n'),
    );
    assert.ok(!plan.some((d) => /^(SCAN|SEARCH) m(essages)?\b(?!.*\(id=\?\))/.test(d)), plan.join('\n'));
  }
  db.close();
});

test('SQLite completions go in chunks of 128, 32 and 8 rows, the last padded with NULL rows', () => {
  for (const [n, shape] of [
    [0, []],
    [1, [8]],
    [8, [8]],
    [9, [8, 8]],
    [49, [32, 8, 8, 8]],
    [200, [128, 32, 32, 8]],
    [300, [128, 128, 32, 8, 8]],
  ] as const)
    assert.deepEqual(completionChunks(n), shape, `${n} completions`);
  const { steps } = sqliteCompletion([delivered('a'), { ...delivered('b'), attempt: undefined }]);
  const texts = new Set(steps.map((s) => s.sql));
  assert.equal(steps.length, 3);
  for (const s of steps) {
    assert.equal((s.sql.match(/\?/g) ?? []).length, s.params.length, s.sql);
    assert.ok(s.params.length % SQLITE_COMPLETION_CHUNKS[2] === 0);
  }
  // Every row once, in order, then NULL rows: the id is the first value of each row.
  const events = steps[0]!.params;
  assert.deepEqual(
    events.filter((_, k) => k % 7 === 0),
    ['a', 'b', null, null, null, null, null, null],
  );
  // Only the completion that called a provider has an attempt row.
  assert.deepEqual(
    steps[2]!.params.filter((_, k) => k % 9 === 0),
    ['a', null, null, null, null, null, null, null],
  );
  assert.equal(texts.size, 3);
});

test('SQLite completions write event and attempt rows in the group order, none for padding or a lost lease', async () => {
  const db = openSqlite(':memory:');
  migrateSqlite(db, () => 0);
  const ids = Array.from({ length: 45 }, (_, i) => `m${String(44 - i).padStart(2, '0')}`);
  const insert = db.prepare(
    `INSERT INTO messages (id, channel, lane, recipient, state, max_attempts, due_at, created_at, updated_at, lease_owner)
     VALUES (?, 'webhook', 'webhook:x', 'http://e/x', 'sending', 5, 0, 0, 0, ?)`,
  );
  // m00 is held by another worker: its completion must not apply (its attempt row is still written).
  for (const id of ids) insert.run(id, id === 'm00' ? 'w2' : 'w1');
  const { steps, applied } = sqliteCompletion(ids.map(delivered));
  const results = await runStepsOn(db, steps);
  assert.equal(applied(results), 44);
  const events = db
    .prepare('SELECT message_id FROM events ORDER BY id')
    .all()
    .map((r) => r.message_id);
  assert.deepEqual(events, ids.slice(0, 44));
  const attempts = db
    .prepare('SELECT message_id FROM attempts ORDER BY id')
    .all()
    .map((r) => r.message_id);
  assert.deepEqual(attempts, ids);
  const row = db.prepare("SELECT * FROM messages WHERE id = 'm10'").get()!;
  assert.equal(row.state, 'delivered');
  assert.equal(row.attempts, 1);
  assert.equal(row.provider, 'webhook');
  assert.equal(row.lease_owner, null);
  assert.equal(row.delivered_at, 1000);
  assert.equal(row.sent_at, 1000);
  assert.equal(db.prepare("SELECT state FROM messages WHERE id = 'm00'").get()!.state, 'sending');
  db.close();
});

/** The steps one by one on a node:sqlite connection, as the SQLite thread runs them. */
async function runStepsOn(db: DatabaseSync, steps: readonly Step[]): Promise<StepResult[]> {
  db.exec('BEGIN');
  const out: StepResult[] = [];
  for (const s of steps) {
    const stmt = db.prepare(s.sql);
    const params = s.params as SQLInputValue[];
    assert.equal(stmt.columns().length, 0, 'completion statements return no rows');
    out.push({ rows: [], changes: stmt.run(...params).changes });
  }
  db.exec('COMMIT');
  return Promise.resolve(out);
}

test('SQLite inserts a group as multi-row VALUES of 100, 10 and 1 rows: three constant texts', () => {
  const row = (i: number) => ({ id: `m${i}` }) as unknown as MessagesTable;
  const texts = new Set<string>();
  for (const [n, shape] of [
    [1, [1]],
    [9, [1, 1, 1, 1, 1, 1, 1, 1, 1]],
    [10, [10]],
    [11, [10, 1]],
    [99, [10, 10, 10, 10, 10, 10, 10, 10, 10, 1, 1, 1, 1, 1, 1, 1, 1, 1]],
    [100, [100]],
    [101, [100, 1]],
    [1234, [...Array<number>(12).fill(100), 10, 10, 10, 1, 1, 1, 1]],
  ] as const) {
    const rows = Array.from({ length: n }, (_, i) => row(i));
    const steps = sqliteMessageInsertSteps(rows);
    assert.deepEqual(
      steps.map((s) => s.params.length / INSERT_BOUND.length),
      shape,
      `${n} rows`,
    );
    // Every row once, in order: the id is the first column of each row's values.
    assert.deepEqual(
      steps.flatMap((s) => s.params.filter((_, k) => k % INSERT_BOUND.length === 0)),
      rows.map((r) => r.id),
    );
    for (const s of steps) {
      texts.add(s.sql);
      // OR FAIL: no statement journal (docs/decisions/0030); the list's transaction undoes a failure.
      assert.match(s.sql, /^INSERT OR FAIL INTO messages /);
      assert.equal((s.sql.match(/\?/g) ?? []).length, s.params.length);
      assert.doesNotMatch(s.sql, /\?\d/, 'plain ? placeholders (numbered ones bind quadratically in node:sqlite)');
    }
  }
  assert.equal(texts.size, SQLITE_INSERT_CHUNKS.length);
  assert.ok(Math.max(...SQLITE_INSERT_CHUNKS) * INSERT_BOUND.length <= 32_766, 'under SQLITE_MAX_VARIABLE_NUMBER');
});

test('the columns written as literals are those every new message is born with', () => {
  const row = rowFromNewMessage(
    {
      channel: 'webhook',
      lane: 'webhook',
      recipient: 'http://e/x',
      priority: 3,
      categories: 1,
      maxAttempts: 5,
      dueAt: 7,
      payload: { method: 'POST', url: 'http://e/x', headers: {} },
    } as unknown as Parameters<typeof rowFromNewMessage>[0],
    'm1',
    5,
  );
  for (const [col, value] of Object.entries(INSERT_CONSTANTS)) assert.equal(row[col as keyof typeof row], value, col);
  assert.equal(INSERT_BOUND.length + Object.keys(INSERT_CONSTANTS).length, Object.keys(row).length);
  assert.ok(INSERT_BOUND.every((c) => !Object.hasOwn(INSERT_CONSTANTS, c)));
  // A constant column would be dropped from the bound values: what a row holds there never reaches the table.
  const [step] = sqliteMessageInsertSteps([row]);
  assert.equal(step!.params.length, INSERT_BOUND.length);
  assert.deepEqual(
    step!.params,
    INSERT_BOUND.map((c) => row[c]),
  );
});

test('the insert steps keep the events and callbacks after the messages, in one list', () => {
  const rows = Array.from({ length: 12 }, (_, i) => ({ id: `m${i}`, state: 'queued' }) as unknown as MessagesTable);
  const plain = sqliteInsertSteps(rows, [], 5);
  assert.equal(plain.length, 2 + 3);
  assert.deepEqual(
    plain.slice(3).map((s) => [s.sql.startsWith('SELECT 1 FROM endpoints'), s.ifPrevious ?? false]),
    [
      [true, false],
      [false, true],
    ],
  );
  const withCallback = sqliteInsertSteps(rows, [{ message_id: 'm3', url: 'http://e/x', events: null }], 5);
  assert.match(withCallback[3]!.sql, /^INSERT INTO message_callbacks/);
  assert.match(withCallback[4]!.sql, /^INSERT INTO events/);
});
