import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from './herald.ts';

/** The real `herald` command, run on this Node (the one running the tests). */
export const HERALD_BIN = join(import.meta.dirname, '..', '..', 'bin', 'herald.js');

export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `re` in stdout (or stderr), within `timeoutMs`. */
  waitFor(re: RegExp, stream?: 'stdout' | 'stderr', timeoutMs?: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `herald <args>` with only the given environment (plus PATH), so nothing leaks in from the test run. */
export function startCli(args: string[], env: Record<string, string> = {}): CliRun {
  return startProcess(process.execPath, [HERALD_BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
}

/**
 * Starts any command with exactly `env`. With `group`, it leads a process group of its own and
 * stop() signals the whole group (for `npm start`, whose Node runs under npm and a shell).
 */
export function startProcess(
  command: string,
  args: string[],
  opts: { env: Record<string, string>; cwd?: string; group?: boolean },
): CliRun {
  const child = spawn(command, args, {
    env: opts.env,
    cwd: opts.cwd,
    detached: opts.group,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (c: Buffer) => (out.stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out.stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    waitFor: (re, stream = 'stdout', timeoutMs = 20_000) =>
      eventually(() => re.exec(out[stream]) ?? undefined, timeoutMs, `${re} on ${stream} (${out.stderr})`),
    exited,
    stop: () => {
      if (child.exitCode === null) {
        if (opts.group) process.kill(-child.pid!, 'SIGTERM');
        else child.kill('SIGTERM');
      }
      return exited;
    },
  };
}

/** Runs `herald <args>` to its end. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return ended(startCli(args, env));
}

/** Runs any command to its end (see startProcess). */
export function runProcess(
  command: string,
  args: string[],
  opts: Parameters<typeof startProcess>[2],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return ended(startProcess(command, args, opts));
}

async function ended(run: CliRun): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** Herald's API address from its "Herald API listening" log line. */
export async function listeningAt(run: CliRun, timeoutMs = 60_000): Promise<string> {
  const m = await run.waitFor(/"address":"(http:\/\/[^"]+)","docs"/, 'stdout', timeoutMs);
  return m[1]!;
}

/** A fresh SQLite database URL. */
export function freshSqliteUrl(): string {
  return `sqlite:${join(mkdtempSync(join(tmpdir(), 'herald-cli-')), 'h.db')}`;
}

/** A port that was free a moment ago (nothing listens on it). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
