import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite } from './node-sqlite-driver.ts';
import { migrateSqlite } from './migrator.ts';
import { rowFromNewMessage } from './rows.ts';
import {
  INSERT_BOUND,
  INSERT_CONSTANTS,
  SQLITE_COMPLETE,
  SQLITE_COMPLETION_EVENTS,
  SQLITE_INSERT_CHUNKS,
  sqliteInsertSteps,
  sqliteMessageInsertSteps,
} from './message-writes.ts';
import type { MessagesTable } from './schema.ts';

/*
 * A group of completions on SQLite must find each message by its primary key: a plan that walks a
 * state index instead visits every `sending` message once per completion (quadratic under load).
 */
test('SQLite completions walk the JSON and find each message by primary key', () => {
  const db = openSqlite(':memory:');
  migrateSqlite(db, () => 0);
  for (const statement of [SQLITE_COMPLETE, SQLITE_COMPLETION_EVENTS]) {
    const plan = db
      .prepare(`EXPLAIN QUERY PLAN ${statement}`)
      .all('[]')
      .map((r) => String(r.detail));
    assert.ok(
      plan.some((d) => /^SEARCH m(essages)? USING (INDEX sqlite_autoindex_messages_1|PRIMARY KEY) \(id=\?\)$/.test(d)),
      plan.join('\n'),
    );
    assert.ok(!plan.some((d) => /^(SCAN|SEARCH) m(essages)?\b(?!.*\(id=\?\))/.test(d)), plan.join('\n'));
  }
  db.close();
});

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
