import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openSqlite } from './node-sqlite-driver.ts';
import { migrateSqlite } from './migrator.ts';
import { SQLITE_COMPLETE, SQLITE_COMPLETION_EVENTS } from './message-writes.ts';

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
