/** The facts of the machine a section ran on, for the docs (a figure without them means little). */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Tool } from './load.ts';
import type { MachineFacts } from './results.ts';
import { serverVersion } from './pg.ts';

const ROOT = join(import.meta.dirname, '..', '..');

/** `INFO <section>` over a raw connection (the harness itself carries no Redis client). */
export function redisInfo(
  section: string,
  url = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port || 6379), u.hostname);
    let out = '';
    s.setTimeout(3000, () => s.destroy(new Error('redis: no answer')));
    s.on('connect', () => s.write(`INFO ${section}\r\n`));
    s.on('data', (c: Buffer) => {
      out += c.toString();
      const len = Number(out.match(/^\$(\d+)\r\n/)?.[1] ?? NaN);
      if (out.length >= out.indexOf('\r\n') + 2 + len) {
        s.end();
        resolve(out);
      }
    });
    s.on('error', reject);
  });
}

function peerVersions(): string | undefined {
  const v = (name: string) => {
    const p = join(ROOT, 'bench', 'peers', 'node_modules', name, 'package.json');
    return existsSync(p)
      ? `${name} ${(JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version}`
      : undefined;
  };
  const list = ['bullmq', 'ioredis', 'pg-boss'].map(v).filter(Boolean);
  return list.length ? list.join(', ') : undefined;
}

function commit(): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim();
    return dirty ? `${sha} (src/ has uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

export async function machineFacts(tool: Tool, loadAtStart: number): Promise<MachineFacts> {
  const redis = await redisInfo('server')
    .then(async (s) => {
      const version = s.match(/redis_version:(\S+)/)?.[1] ?? '?';
      const aof = (await redisInfo('persistence')).match(/aof_enabled:(\d)/)?.[1] === '1';
      return `Redis ${version} (AOF ${aof ? 'on' : 'off'})`;
    })
    .catch(() => undefined);
  const postgres = await serverVersion()
    .then((v) => `PostgreSQL ${v}`)
    .catch(() => undefined);
  const db = new DatabaseSync(':memory:');
  const sqlite = `SQLite ${String((db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v)} (node:sqlite)`;
  db.close();
  const c = cpus();
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpus: `${c.length} × ${c[0]?.model.trim() ?? '?'}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    load: `${loadAtStart.toFixed(2)} → ${loadavg()[0]!.toFixed(2)}`,
    node: `Node ${process.version}`,
    tool: tool.label,
    ...(postgres ? { postgres } : {}),
    ...(redis ? { redis } : {}),
    sqlite,
    ...(peerVersions() ? { peers: peerVersions()! } : {}),
    commit: commit(),
  };
}
