/**
 * Child processes of the benchmark: every server under test, baseline and peer runs in a process of
 * its own (never in the harness's event loop), started here and always stopped by the harness.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface Proc {
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  /** Node flags before the script (e.g. Herald's V8 flags, --cpu-prof). */
  nodeFlags?: readonly string[];
  env?: Record<string, string>;
  /** Ready when stdout matches (stdout is piped until then, then drained), or when the poll answers true. */
  ready: RegExp | (() => Promise<boolean>);
  /** Gives up after this long (default 60 s). */
  timeoutMs?: number;
}

/** Starts `node [flags] script args…` and resolves once it is ready. */
export function startNode(script: string, args: readonly string[], o: StartOptions): Promise<Proc> {
  const byStdout = o.ready instanceof RegExp;
  const child = spawn(process.execPath, [...(o.nodeFlags ?? []), script, ...args], {
    env: { ...process.env, ...o.env },
    stdio: ['ignore', byStdout ? 'pipe' : 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const proc: Proc = {
    child,
    async stop(graceMs = 30_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  const what = `${script} ${args.join(' ')}`;
  return new Promise<Proc>((resolve, reject) => {
    let settled = false;
    const settle = (err?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) void proc.stop(1000).then(() => reject(err));
      else resolve(proc);
    };
    const timer = setTimeout(() => settle(new Error(`${what} did not get ready`)), o.timeoutMs ?? 60_000);
    child.once('exit', (code, signal) => settle(new Error(`${what} exited (${code ?? signal}) before it was ready`)));
    const ready = o.ready;
    if (ready instanceof RegExp) {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        if (settled) return; // keep draining so the child never blocks on a full pipe
        out += c.toString();
        if (ready.test(out)) settle();
      });
    } else {
      const poll = async (): Promise<void> => {
        if (settled) return;
        if (await ready().catch(() => false)) return settle();
        setTimeout(() => void poll(), 50);
      };
      void poll();
    }
  });
}

/** Runs `command args…` to the end and answers its stdout; rejects on a non-zero exit. */
export function runToEnd(
  command: string,
  args: readonly string[],
  o: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...o.env },
      cwd: o.cwd,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 15 * 60_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code ?? signal}`));
    });
  });
}

/** A free TCP port on 127.0.0.1 (asked of the OS, then released for the child to bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Answers true once GET url answers 2xx. */
export const answers = (url: string) => async (): Promise<boolean> => (await fetch(url)).ok;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes. */
export const wallMs = (): number => performance.timeOrigin + performance.now();

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux Herald runs on). */
const USER_HZ = 100;

/**
 * CPU time (µs) a process has used so far, per thread name, from /proc/<pid>/task/<tid>/stat
 * (utime + stime). The main thread is named `event loop`; Node's worker threads keep their own
 * names (Herald's SQLite thread, libuv's pool, V8's platform threads) — the split tells where a
 * request's CPU goes. Empty where /proc is missing (not Linux).
 */
export function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Fields after the name (which may hold spaces) start after the last ')'.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const us = ((Number(f[11]) + Number(f[12])) * 1e6) / USER_HZ;
      const name = tid === String(pid) ? 'event loop' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      out.set(name, (out.get(name) ?? 0) + us);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}
