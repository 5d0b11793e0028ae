import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listeningAt, runProcess, startCli, type CliRun } from '../helpers/cli.ts';
import { startSink } from '../helpers/http-sink.ts';

const SCRIPT = join(import.meta.dirname, '..', '..', 'deploy', 'backup-sqlite.sh');
const KEY = 'hk_backup_test_0123456789abcdef';
const env = { PATH: process.env.PATH ?? '' };
const HAVE_SQLITE3 = ['/usr/bin', '/bin'].some((d) => existsSync(join(d, 'sqlite3')));

const sqlite3 = (...args: string[]) => runProcess('sqlite3', args, { env });

async function accept(url: string, sink: string): Promise<string> {
  const r = await fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'webhook', url: `${sink}/hook`, body: { at: Date.now() } }),
  });
  assert.equal(r.status, 202);
  return ((await r.json()) as { id: string }).id;
}

function serve(dbFile: string): CliRun {
  return startCli(['serve'], {
    DATABASE_URL: `sqlite:${dbFile}`,
    HERALD_API_KEY: KEY,
    HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
    HOST: '127.0.0.1',
    PORT: '0',
  });
}

/**
 * The backups docs/deploy.md documents, taken from a running Herald's SQLite database while it
 * accepts and delivers messages: deploy/backup-sqlite.sh (VACUUM INTO), the sqlite3 shell's
 * .backup, and VACUUM INTO through node:sqlite (the container has no sqlite3 shell). Each copy passes an integrity check, holds every message accepted before the backup
 * began, and a Herald started on it (a restore) answers for them.
 */
void describe(
  'SQLite backups while Herald runs',
  { skip: !HAVE_SQLITE3 && 'no sqlite3 shell here (apt-get install sqlite3)' },
  () => {
    void test(
      'backup-sqlite.sh, .backup and node:sqlite under writes; a restore answers',
      { timeout: 120_000 },
      async (t) => {
        const dir = mkdtempSync(join(tmpdir(), 'herald-backup-'));
        const db = join(dir, 'herald.db');
        const sink = await startSink();
        const herald = serve(db);
        const url = await listeningAt(herald, 30_000);
        const before: string[] = [];
        for (let i = 0; i < 50; i++) before.push(await accept(url, sink.url));

        // Writes go on during the backups: bounded in count and time.
        let writing = true;
        let during = 0;
        const writer = (async () => {
          const end = Date.now() + 30_000;
          while (writing && during < 5000 && Date.now() < end) {
            await accept(url, sink.url);
            during++;
          }
        })();
        const old = join(dir, 'backups', 'herald-20000101T000000Z.db');
        mkdirSync(join(dir, 'backups'));
        writeFileSync(old, '');
        utimesSync(old, new Date('2000-01-01'), new Date('2000-01-01'));

        const script = await runProcess('sh', [SCRIPT, db, join(dir, 'backups'), '14'], { env });
        const shell = join(dir, 'shell-backup.db');
        const dot = await sqlite3('-cmd', '.timeout 30000', db, `.backup '${shell}'`);
        // The container's way (no sqlite3 shell in the image): Node's own SQLite, as docs/deploy.md writes it.
        const viaNode = join(dir, 'node-backup.db');
        const node = await runProcess(
          process.execPath,
          ['-e', `new (require('node:sqlite').DatabaseSync)('${db}',{timeout:30000}).exec("VACUUM INTO '${viaNode}'")`],
          { env },
        );
        writing = false;
        await writer;
        assert.equal(script.code, 0, script.stderr);
        assert.equal(dot.code, 0, dot.stderr);
        assert.equal(node.code, 0, node.stderr);
        assert.ok(during > 0, 'messages were accepted while the backups ran');
        t.diagnostic(`${during} messages accepted while the three backups ran`);
        assert.ok(!existsSync(old), 'backups older than the days kept are removed');

        const copy = script.stdout.trim();
        assert.match(copy, /\/backups\/herald-\d{8}T\d{6}Z\.db$/);
        await herald.stop();
        for (const file of [copy, shell, viaNode]) {
          assert.equal((await sqlite3(file, 'PRAGMA integrity_check')).stdout.trim(), 'ok', file);
          const ids = before.map((id) => `'${id}'`).join(',');
          const found = await sqlite3(file, `SELECT count(*) FROM messages WHERE id IN (${ids})`);
          assert.equal(found.stdout.trim(), String(before.length), `${file} holds every message accepted before`);
        }

        // Restore: Herald on the copy answers for a message accepted before the backup.
        const restored = serve(copy);
        try {
          const at = await listeningAt(restored, 30_000);
          const r = await fetch(`${at}/v1/messages/${before[0]}`, { headers: { authorization: `Bearer ${KEY}` } });
          assert.equal(r.status, 200);
        } finally {
          await restored.stop();
          await sink.close();
        }
      },
    );

    void test('backup-sqlite.sh refuses a missing database in one line, exit code 2', async () => {
      const r = await runProcess('sh', [SCRIPT, '/nonexistent/herald.db', tmpdir()], { env });
      assert.equal(r.code, 2);
      assert.equal(r.stderr, 'backup-sqlite: no database at /nonexistent/herald.db\n');
    });
  },
);
