import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, openSync, readSync, closeSync, rmSync, statSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { sql } from 'kysely';
import { databaseForTests, openStore } from '../src/store/open-store.ts';
import { IDLE_CHECKPOINT_MS } from '../src/store/node-sqlite-driver.ts';

/*
 * The WAL of a database file (docs/decisions/0042): checkpointed every N pages by the commit that
 * passes them and by the SQLite thread once idle, so its size is bounded under a write stream, and
 * gone when the store closes.
 */

const PAGE = 4096;
/** A WAL frame: a 24-byte header and one page; the file starts with a 32-byte header. */
const frames = (bytes: number) => Math.max(0, (bytes - 32) / (PAGE + 24));

function tempDb(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'herald-wal-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'h.db');
}

/** The wal-index header in the -shm file: mxFrame (frames in the WAL) and nBackfill (frames checkpointed). */
function walIndex(path: string): { mxFrame: number; nBackfill: number } {
  const fd = openSync(`${path}-shm`, 'r');
  try {
    const buf = Buffer.alloc(100);
    readSync(fd, buf, 0, 100, 0);
    const u32 = (at: number) => (endianness() === 'LE' ? buf.readUInt32LE(at) : buf.readUInt32BE(at));
    return { mxFrame: u32(16), nBackfill: u32(96) };
  } finally {
    closeSync(fd);
  }
}

const ROW = 'x'.repeat(3 * PAGE); // each transaction dirties ~4 pages: a stream of them outgrows a small threshold fast

test('under a long write stream the WAL stays within the checkpoint threshold plus one transaction', async (t) => {
  const path = tempDb(t);
  const threshold = 100;
  const store = await openStore({ url: `sqlite:${path}`, walAutocheckpoint: threshold });
  try {
    const db = databaseForTests(store);
    await sql`CREATE TABLE wal_stream (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`.execute(db);
    let peak = 0;
    const writes = 600; // ~2400 pages written in all: 24× the threshold
    const started = Date.now();
    for (let i = 0; i < writes; i++) {
      await sql`INSERT INTO wal_stream (body) VALUES (${ROW + i})`.execute(db);
      peak = Math.max(peak, frames(statSync(`${path}-wal`).size));
    }
    assert.ok(Date.now() - started < 60_000, 'the stream is bounded in time too');
    // Without checkpoints the WAL would hold every page written (~2400 frames).
    assert.ok(peak <= threshold + 10, `the WAL peaked at ${peak} frames (threshold ${threshold})`);
    assert.ok(peak >= threshold / 2, `the stream reached the threshold (${peak} frames)`);
    const rows = await sql<{ n: number }>`SELECT count(*) AS n FROM wal_stream`.execute(db);
    assert.equal(rows.rows[0]!.n, writes);
  } finally {
    await store.close();
  }
});

test('a reader holding the WAL back lets it grow; once it lets go, the stream is bounded again', async (t) => {
  const path = tempDb(t);
  const threshold = 100;
  const store = await openStore({ url: `sqlite:${path}`, walAutocheckpoint: threshold });
  const reader = new DatabaseSync(path, { readOnly: true });
  try {
    const db = databaseForTests(store);
    await sql`CREATE TABLE wal_stream (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`.execute(db);
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM wal_stream').get(); // a snapshot: frames after it cannot be reused
    for (let i = 0; i < 100; i++) await sql`INSERT INTO wal_stream (body) VALUES (${ROW + i})`.execute(db);
    const held = frames(statSync(`${path}-wal`).size);
    assert.ok(held > threshold * 2, `held back: ${held} frames`);
    reader.exec('COMMIT');
    // The WAL starts over at the first commit after a complete checkpoint; the file is reused, not
    // shrunk (journal_size_limit trims it only past 64 MiB), so count the frames in use.
    for (let i = 0; i < 300; i++) {
      await sql`INSERT INTO wal_stream (body) VALUES (${ROW + i})`.execute(db);
    }
    const { mxFrame } = walIndex(path);
    assert.ok(mxFrame <= threshold + 10, `after the reader let go the WAL holds ${mxFrame} frames`);
  } finally {
    reader.close();
    await store.close();
  }
});

test('the SQLite thread checkpoints the WAL once idle, and closing leaves no WAL behind', async (t) => {
  const path = tempDb(t);
  const store = await openStore({ url: `sqlite:${path}` }); // the default threshold: these writes stay in the WAL
  let closed = false;
  try {
    const db = databaseForTests(store);
    await sql`CREATE TABLE wal_idle (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`.execute(db);
    for (let i = 0; i < 20; i++) await sql`INSERT INTO wal_idle (body) VALUES (${ROW + i})`.execute(db);
    const busy = walIndex(path);
    assert.ok(busy.mxFrame > busy.nBackfill, `frames not yet in the database file: ${JSON.stringify(busy)}`);
    await new Promise((r) => setTimeout(r, IDLE_CHECKPOINT_MS * 3));
    const idle = walIndex(path);
    assert.equal(idle.nBackfill, idle.mxFrame, 'every frame checkpointed while idle');
    await store.close();
    closed = true;
    assert.equal(existsSync(`${path}-wal`), false, 'the last connection to close folds and removes the WAL');
    const again = await openStore({ url: `sqlite:${path}` });
    const rows = await sql<{ n: number }>`SELECT count(*) AS n FROM wal_idle`.execute(databaseForTests(again));
    assert.equal(rows.rows[0]!.n, 20);
    await again.close();
  } finally {
    if (!closed) await store.close();
  }
});

test('an in-memory store is unaffected: no WAL, writes and reads as before', async () => {
  const store = await openStore({ url: 'sqlite::memory:' });
  try {
    const db = databaseForTests(store);
    const mode = await sql<{ journal_mode: string }>`PRAGMA journal_mode`.execute(db);
    assert.equal(mode.rows[0]!.journal_mode, 'memory');
    await sql`CREATE TABLE mem (id INTEGER PRIMARY KEY)`.execute(db);
    await sql`INSERT INTO mem (id) VALUES (1)`.execute(db);
    const rows = await sql<{ n: number }>`SELECT count(*) AS n FROM mem`.execute(db);
    assert.equal(rows.rows[0]!.n, 1);
  } finally {
    await store.close();
  }
});
