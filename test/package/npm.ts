import { existsSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { runProcess } from '../helpers/cli.ts';

/** The checkout these tests run in. */
export const ROOT = join(import.meta.dirname, '..', '..');

/** The oldest Node that package.json "engines" allows, e.g. "22.16.0". */
export const ENGINES_MIN = /(\d+\.\d+\.\d+)/.exec(
  (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node,
)![1]!;

/**
 * An environment for npm and Herald as an operator's shell would have it: no npm_* variables
 * from the `npm test` that runs us (npm_config_local_prefix would point a nested npm back at this
 * checkout), no node_modules/.bin on PATH, and `nodeDir`'s Node first on PATH.
 */
export function operatorEnv(nodeDir: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k)) env[k] = v;
  const path = (process.env.PATH ?? '').split(delimiter).filter((p) => p && !p.includes('node_modules'));
  return { ...env, PATH: [nodeDir, ...path].join(delimiter), npm_config_update_notifier: 'false', ...extra };
}

/** Runs a command to its end; throws with its output when it fails. */
export async function mustRun(command: string, args: string[], opts: { env: Record<string, string>; cwd?: string }) {
  const r = await runProcess(command, args, opts);
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.code}:\n${r.stderr}\n${r.stdout}`);
  return r;
}

/**
 * The Node binary of the `node` package on the npm registry at `version`, fetched by npx (cached
 * after the first run). Answers why not when it cannot be had (no network, no such build).
 */
export async function registryNode(version: string): Promise<{ path: string } | { why: string }> {
  const r = await runProcess('npx', ['-y', `node@${version}`, '-p', 'process.execPath'], {
    env: operatorEnv(dirname(process.execPath)),
  });
  const path = r.stdout.trim();
  if (r.code !== 0 || !existsSync(path))
    return { why: `npx -y node@${version} failed: ${r.stderr.trim().slice(-300)}` };
  return { path };
}

/** A Node on this machine's PATH (outside node_modules) older than `version`, if there is one. */
export async function olderSystemNode(version: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const node = join(dir, 'node');
    if (!dir || dir.includes('node_modules') || !existsSync(node)) continue;
    const r = await runProcess(node, ['-p', 'process.versions.node'], { env: {} });
    if (older(r.stdout.trim(), version)) return node;
  }
  return undefined;
}

function older(a: string, b: string): boolean {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < 3; i++) if (x![i] !== y![i]) return x![i]! < y![i]!;
  return false;
}
