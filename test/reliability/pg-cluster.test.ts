import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { pgClusterUnavailable, startPgCluster, type PgCluster } from '../helpers/pg-cluster.ts';

const skip = pgClusterUnavailable();

describe('private PostgreSQL cluster (test helper)', { skip }, () => {
  let cluster: PgCluster;
  before(async () => {
    cluster = await startPgCluster();
  });
  after(() => cluster?.destroy());

  it('runs on its own port, not the shared 5432, and answers queries', async () => {
    assert.notEqual(cluster.port, 5432);
    const [row] = await cluster.query<{ port: string }>('SHOW port');
    assert.equal(row!.port, String(cluster.port));
  });

  it('restarts (fast and immediate) and keeps committed data', async () => {
    await cluster.query('CREATE TABLE IF NOT EXISTS kept (v int)');
    await cluster.query('INSERT INTO kept VALUES (1)');
    await cluster.restart();
    await cluster.query('INSERT INTO kept VALUES (2)');
    await cluster.restart({ mode: 'immediate' });
    const rows = await cluster.query<{ n: number }>('SELECT count(*)::int AS n FROM kept');
    assert.equal(rows[0]!.n, 2);
  });

  it('terminates only sessions whose application_name starts with the prefix', async () => {
    const mine = new pg.Client({ connectionString: cluster.url, application_name: 'herald:x' });
    const other = new pg.Client({ connectionString: cluster.url, application_name: 'someone-else' });
    const errors: Error[] = [];
    mine.on('error', (e) => errors.push(e));
    await mine.connect();
    await other.connect();
    try {
      assert.equal(await cluster.terminate('herald'), 1);
      await assert.rejects(mine.query('SELECT 1'));
      assert.deepEqual((await other.query<{ v: number }>('SELECT 1 AS v')).rows, [{ v: 1 }]);
    } finally {
      await mine.end().catch(() => undefined);
      await other.end();
    }
  });

  it('creates databases', async () => {
    const url = await cluster.createDatabase('herald_x');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const { rows } = await c.query<{ db: string }>('SELECT current_database() AS db');
      assert.equal(rows[0]!.db, 'herald_x');
    } finally {
      await c.end();
    }
  });
});
