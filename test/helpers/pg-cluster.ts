import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { closedPort } from './cli.ts';

/**
 * A private PostgreSQL cluster for tests that stop, restart or crash the server: initdb + pg_ctl
 * from /usr/lib/postgresql/<newest>/bin in a temp dir, on a random port of 127.0.0.1, trust auth,
 * superuser `postgres`. The shared server on 5432 is never touched.
 *
 * As root, PostgreSQL refuses to run, so every command runs as the `postgres` user (runuser) in a
 * temp dir given to that user. When that is impossible (no binaries, no such user, not root and
 * initdb fails), `pgClusterUnavailable()` says why, so a test can skip with a clear message.
 *
 * The cluster is stopped (immediate mode) and its directory removed by `destroy()`, and also when
 * this process exits; the postmaster also shuts itself down within a minute if its data directory
 * disappears.
 */
export interface PgCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** The data directory (owned by the user that runs the server). */
  dataDir: string;
  /** Whether the server is up (as far as this helper started and stopped it). */
  running(): boolean;
  /** pg_ctl start, waiting until it accepts connections. */
  start(): Promise<void>;
  /** pg_ctl stop: `fast` (clean shutdown, the default) or `immediate` (like a crash: WAL recovery at start). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** stop, stay down `downMs` (default 0), start. Returns how long the server was unreachable (ms). */
  restart(opts?: { mode?: 'fast' | 'immediate'; downMs?: number }): Promise<number>;
  /**
   * pg_terminate_backend of every session whose application_name starts with `prefix`
   * (default `herald`: Herald names its connections `herald` or `herald:<schema>`). Returns how many.
   */
  terminate(prefix?: string): Promise<number>;
  /** Runs one statement as the superuser on database `db` (default postgres); its rows. */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(
    text: string,
    values?: unknown[],
    db?: string,
  ): Promise<R[]>;
  /** CREATE DATABASE `name`; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** The URL of database `db` on this cluster. */
  urlOf(db: string): string;
  /** The server log so far (for a failing test's message). */
  log(): string;
  /** Stop (immediate) and remove the directory. Safe to call twice. */
  destroy(): Promise<void>;
}

export interface PgClusterOptions {
  /**
   * fsync off (default true): the tests crash the server, not the machine, and the OS keeps what
   * was written, so recovery is still real; it only spares the shared disk.
   */
  noFsync?: boolean;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string>;
}

/** The newest /usr/lib/postgresql/<version>/bin that has initdb, or undefined. */
export function pgBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

const isRoot = () => process.getuid?.() === 0;

function postgresUser(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

function runuserPath(): string | undefined {
  for (const p of ['/usr/sbin/runuser', '/sbin/runuser', '/usr/bin/runuser']) if (existsSync(p)) return p;
  return undefined;
}

/** Why a private cluster cannot be started here, or undefined when it can (as far as can be told without trying). */
export function pgClusterUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `private PostgreSQL cluster needs Linux (this is ${process.platform})`;
  if (!pgBinDir()) return 'no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (initdb, pg_ctl)';
  if (isRoot()) {
    if (!postgresUser()) return 'running as root and there is no `postgres` user to run a private cluster as';
    if (!runuserPath()) return 'running as root and there is no runuser to run a private cluster as `postgres`';
  }
  return undefined;
}

/** Thrown by startPgCluster when the cluster cannot be made; `message` says why. */
export class PgClusterUnavailable extends Error {}

const live = new Set<{ bin: string; dataDir: string; dir: string; asPostgres: boolean }>();
let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const c of live) {
      spawnSync(
        ...command(c.bin, 'pg_ctl', ['-D', c.dataDir, '-m', 'immediate', '-w', '-t', '10', 'stop'], c.asPostgres),
        {
          stdio: 'ignore',
          timeout: 15_000,
        },
      );
      rmSync(c.dir, { recursive: true, force: true });
    }
  });
}

/** [file, args] to run `bin/tool args`, as `postgres` when asked. */
function command(bin: string, tool: string, args: string[], asPostgres: boolean): [string, string[]] {
  const file = join(bin, tool);
  return asPostgres ? [runuserPath()!, ['-u', 'postgres', '--', file, ...args]] : [file, args];
}

function run(bin: string, tool: string, args: string[], asPostgres: boolean, timeoutMs = 60_000): Promise<string> {
  const [file, argv] = command(bin, tool, args, asPostgres);
  return new Promise((resolve, reject) => {
    // Asynchronous, so that servers in this process (fakes, proxies) keep answering meanwhile.
    execFile(file, argv, { encoding: 'utf8', timeout: timeoutMs, cwd: tmpdir() }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      reject(
        new Error(
          `${tool} ${args.join(' ')} failed (${err.code ?? err.signal ?? err.message}): ${stderr || stdout}`.trim(),
        ),
      );
    });
  });
}

/**
 * initdb + start a private cluster. Throws PgClusterUnavailable (with the reason) when that is
 * impossible here; call pgClusterUnavailable() first to skip cheaply.
 */
export async function startPgCluster(opts: PgClusterOptions = {}): Promise<PgCluster> {
  const why = pgClusterUnavailable();
  if (why) throw new PgClusterUnavailable(why);
  const bin = pgBinDir()!;
  const asPostgres = isRoot();
  const dir = mkdtempSync(join(tmpdir(), 'herald-pgc-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  if (asPostgres) {
    const u = postgresUser()!;
    chownSync(dir, u.uid, u.gid);
    chmodSync(dir, 0o700);
  }
  const handle = { bin, dataDir, dir, asPostgres };
  try {
    await run(
      bin,
      'initdb',
      ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      asPostgres,
      120_000,
    );
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new PgClusterUnavailable(`initdb failed: ${(err as Error).message}`);
  }
  live.add(handle);
  hookExit();

  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    max_connections: '100',
    shared_buffers: '32MB',
    ...(opts.noFsync === false ? {} : { fsync: 'off', full_page_writes: 'off' }),
    ...opts.settings,
  };
  let port = 0;
  let up = false;
  const url = () => `postgres://postgres@127.0.0.1:${port}/postgres`;
  const urlOf = (db: string) => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(db)}`;
  const pgOptions = () => [`-p ${port}`, ...Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`)].join(' ');

  const startOnce = () =>
    run(
      bin,
      'pg_ctl',
      ['-D', dataDir, '-l', logFile, '-o', pgOptions(), '-w', '-t', '60', 'start'],
      asPostgres,
      90_000,
    );

  const start = async () => {
    if (up) return;
    if (port === 0) {
      // A port that was free a moment ago may be taken meanwhile: try a few.
      let last: unknown;
      for (let i = 0; i < 5; i++) {
        port = await closedPort();
        try {
          await startOnce();
          up = true;
          return;
        } catch (err) {
          last = err;
        }
      }
      throw new PgClusterUnavailable(`pg_ctl start failed: ${(last as Error).message}`);
    }
    await startOnce();
    up = true;
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    if (!up) return;
    await run(bin, 'pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop'], asPostgres, 90_000);
    up = false;
  };

  const query = async <R extends pg.QueryResultRow>(text: string, values: unknown[] = [], db = 'postgres') => {
    const c = new pg.Client({ connectionString: urlOf(db), application_name: 'pg-cluster-admin' });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return (await c.query<R>(text, values)).rows;
    } finally {
      await c.end().catch(() => undefined);
    }
  };

  try {
    await start();
  } catch (err) {
    live.delete(handle);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  let destroyed = false;
  return {
    get url() {
      return url();
    },
    get port() {
      return port;
    },
    dataDir,
    running: () => up,
    start,
    stop,
    async restart({ mode = 'fast', downMs = 0 } = {}) {
      const t0 = Date.now();
      await stop(mode);
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      await start();
      return Date.now() - t0;
    },
    async terminate(prefix = 'herald') {
      const rows = await query<{ n: number }>(
        `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
         WHERE starts_with(application_name, $1) AND pid <> pg_backend_pid()`,
        [prefix],
      );
      return rows[0]!.n;
    },
    query,
    async createDatabase(name: string) {
      await query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      return urlOf(name);
    },
    urlOf,
    log: () => {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      try {
        await stop('immediate');
      } finally {
        live.delete(handle);
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
