import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bindParams,
  openSqlite,
  SQLITE_CACHE_KIB,
  WAL_AUTOCHECKPOINT_PAGES,
  WAL_SIZE_LIMIT_BYTES,
} from './node-sqlite-driver.ts';

test("a database file opens with Herald's pragmas: WAL, synchronous=FULL, foreign keys, 16 MiB page cache", () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-pragmas-'));
  const db = openSqlite(join(dir, 'h.db'));
  try {
    const pragma = (name: string) => Object.values(db.prepare(`PRAGMA ${name}`).get()!)[0];
    assert.equal(pragma('journal_mode'), 'wal');
    assert.equal(pragma('synchronous'), 2, 'FULL');
    assert.equal(pragma('foreign_keys'), 1);
    assert.equal(pragma('busy_timeout'), 10_000);
    assert.equal(pragma('cache_size'), -SQLITE_CACHE_KIB);
    assert.equal(SQLITE_CACHE_KIB, 16 * 1024);
    // Checkpoints every 10,000 WAL pages, the WAL file trimmed to 64 MiB after one (decision 0042).
    assert.equal(pragma('wal_autocheckpoint'), WAL_AUTOCHECKPOINT_PAGES);
    assert.equal(WAL_AUTOCHECKPOINT_PAGES, 10_000);
    assert.equal(pragma('journal_size_limit'), WAL_SIZE_LIMIT_BYTES);
    assert.equal(pragma('page_size'), 4096);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bindParams turns booleans into 0/1 and undefined into NULL, and copies nothing otherwise', () => {
  const clean = ['a', 1, null, 2.5, 10n];
  assert.equal(bindParams(clean), clean);
  assert.deepEqual(bindParams(['a', true, false, undefined, 3]), ['a', 1, 0, null, 3]);
  // A value to convert at the very end is still converted.
  assert.deepEqual(bindParams([...clean, undefined]), [...clean, null]);
});
