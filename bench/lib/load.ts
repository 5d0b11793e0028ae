/**
 * HTTP load for the benchmarks: `wrk` when it is installed (a C load generator: it takes little of
 * the CPU it measures), else autocannon (runs in Node, in this process: it competes with the server
 * under test for the 2 cores, so its figures are lower and noisier). Every run is bounded by time.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { runToEnd } from './proc.ts';

export type ToolName = 'wrk' | 'autocannon';

export interface Tool {
  name: ToolName;
  /** e.g. "wrk debian/4.1.0-3+b2", or why autocannon measured. */
  label: string;
}

const WRK_SCRIPT = join(import.meta.dirname, '..', 'wrk', 'post.lua');

/** wrk if it runs here (unless BENCH_TOOL=autocannon / --tool autocannon asks otherwise), else autocannon. */
export function pickTool(wanted?: string): Tool {
  const r = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  const version = `${r.stdout ?? ''}`.split('\n')[0]?.match(/^wrk\s+(\S+)/)?.[1];
  if (wanted === 'autocannon') return { name: 'autocannon', label: 'autocannon 8 (asked for)' };
  if (version) return { name: 'wrk', label: `wrk ${version}` };
  if (wanted === 'wrk') throw new Error('--tool wrk: wrk is not installed (apt-get install wrk)');
  return { name: 'autocannon', label: 'autocannon 8 (fallback: wrk is not installed)' };
}

export interface LoadOptions {
  url: string;
  /** A file holding the JSON body POSTed by every request. */
  bodyFile: string;
  token?: string;
  connections: number;
  seconds: number;
}

export interface LoadResult {
  tool: ToolName;
  /** Requests answered 2xx (and, for wrk, 3xx). */
  ok: number;
  /** Non-2xx answers plus socket errors and timeouts. */
  bad: number;
  seconds: number;
  /** ok / seconds */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** The load command, for the docs (body and URL as given). */
  command: string;
  /** CPU the server spent per answered request, when the server's process was given. */
  cpu?: CpuPerRequest;
}

/** A server's CPU time per answered request (µs), in all and per thread name (bench/lib/proc.ts threadCpu). */
export interface CpuPerRequest {
  totalUs: number;
  /** Largest first. */
  threads: { name: string; us: number }[];
}

/** The CPU per request between two threadCpu snapshots of one process. */
export function cpuPerRequest(
  before: Map<string, number>,
  after: Map<string, number>,
  requests: number,
): CpuPerRequest {
  const threads = [...after]
    .map(([name, us]) => ({ name, us: (us - (before.get(name) ?? 0)) / Math.max(requests, 1) }))
    .filter((t) => t.us > 0)
    .sort((a, b) => b.us - a.us);
  return { totalUs: threads.reduce((n, t) => n + t.us, 0), threads };
}

export async function load(tool: Tool, o: LoadOptions): Promise<LoadResult> {
  return tool.name === 'wrk' ? wrk(o) : cannon(o);
}

async function wrk(o: LoadOptions): Promise<LoadResult> {
  const args = ['-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--timeout', '10s', '-s', WRK_SCRIPT, o.url];
  const out = await runToEnd('wrk', args, {
    env: { WRK_BODY: o.bodyFile, WRK_TOKEN: o.token ?? '' },
    timeoutMs: (o.seconds + 30) * 1000,
  });
  const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (!line) throw new Error(`wrk printed no result:\n${out}`);
  const r = JSON.parse(line.slice('BENCH_RESULT '.length)) as Record<string, number>;
  const n = (k: string) => r[k] ?? 0;
  const seconds = n('durationUs') / 1e6;
  const ok = n('requests') - n('status');
  return {
    tool: 'wrk',
    ok,
    bad: n('status') + n('connect') + n('read') + n('write') + n('timeout'),
    seconds,
    rps: ok / seconds,
    p50Ms: n('p50Us') / 1000,
    p99Ms: n('p99Us') / 1000,
    command: `wrk ${args.slice(0, -3).join(' ')} -s bench/wrk/post.lua ${o.url}`,
  };
}

async function cannon(o: LoadOptions): Promise<LoadResult> {
  const r = await autocannon({
    url: o.url,
    method: 'POST',
    connections: o.connections,
    duration: o.seconds,
    timeout: 10,
    headers: {
      'content-type': 'application/json',
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
    },
    body: readFileSync(o.bodyFile),
  });
  const ok = r['2xx'];
  return {
    tool: 'autocannon',
    ok,
    bad: r.non2xx + r.errors + r.timeouts,
    seconds: r.duration,
    rps: ok / r.duration,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    command: `autocannon -m POST -c ${o.connections} -d ${o.seconds} ${o.url}`,
  };
}
