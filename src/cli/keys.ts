import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { createKey, revokeKey } from '../auth/api-keys.ts';
import { scopeProblems, SCOPES, type Scope } from '../auth/scopes.ts';
import { loadConfig } from '../config/config.ts';
import { parseDuration } from '../config/durations.ts';
import type { ApiKeyRecord } from '../store/api-keys.repo.ts';
import type { Actor } from '../store/audit.repo.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';

export const KEYS_HELP = `herald keys — API keys, straight in the database (bootstrap and recovery)

Usage:
  herald keys create --name NAME --scope SCOPE [--scope SCOPE …] [--expires-in 90d | --expires 2027-01-01T00:00:00Z]
      Prints the new secret on stdout (only this once; Herald keeps its hash), the rest on stderr.
  herald keys list [--all] [--json]
      Live keys (--all: revoked ones too): id, prefix, name, scopes, created, last used, expiry.
  herald keys revoke ID_OR_PREFIX
      Revokes a key (running API processes stop accepting it within 10 s).

Scopes: ${SCOPES.join(', ')} (admin grants everything).
Reads DATABASE_URL like every command (docs/configuration.md). Every change is in the audit log,
with the actor "cli:<user>".`;

/** `herald keys …`: answers the exit code (0 ok, 2 bad usage, 1 failure). */
export async function runKeys(argv: string[], out = process.stdout, err = process.stderr): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    out.write(`${KEYS_HELP}\n`);
    return command ? 0 : 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        name: { type: 'string' },
        scope: { type: 'string', multiple: true },
        'expires-in': { type: 'string' },
        expires: { type: 'string' },
        all: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
  } catch (e) {
    err.write(`herald keys: ${(e as Error).message}\n`);
    return 2;
  }
  const usage = (msg: string) => (err.write(`herald keys: ${msg}\n\n${KEYS_HELP}\n`), 2);
  const { values: v, positionals } = parsed;
  if (!['create', 'list', 'revoke'].includes(command)) return usage(`unknown command "${command}"`);
  const store = await openStore({ url: loadConfig().databaseUrl });
  try {
    await store.migrate();
    const now = Date.now();
    const actor: Actor = { id: null, name: `cli:${userInfo().username}`, address: 'cli' };
    if (command === 'list') return await list(store, out, now, v.all ?? false, v.json ?? false);
    if (command === 'revoke') {
      if (positionals.length !== 1) return usage('revoke takes one key id or prefix');
      return await revoke(store, positionals[0]!, actor, now, out, err);
    }
    const scopes = (v.scope ?? []).flatMap((s) => s.split(',')).map((s) => s.trim());
    const problems = scopeProblems(scopes);
    if (!v.name?.trim()) problems.push('give the key a --name');
    const expiresAt = expiryOf(v, now, problems);
    if (problems.length > 0) return usage(problems.join('; '));
    const made = await createKey(store, { name: v.name!.trim(), scopes: scopes as Scope[], expiresAt }, actor, now);
    err.write(
      `Created key ${made.key.id} "${made.key.name}" (${made.key.scopes.join(', ')}). Its secret, shown only now:\n`,
    );
    out.write(`${made.secret}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

function expiryOf(v: { 'expires-in'?: string; expires?: string }, now: number, problems: string[]): number | null {
  if (v['expires-in'] !== undefined) {
    const ms = parseDuration(v['expires-in']);
    if (ms === undefined || ms <= 0)
      problems.push(`--expires-in must be a duration like 90d (got "${v['expires-in']}")`);
    return ms ? now + ms : null;
  }
  if (v.expires !== undefined) {
    const at = Date.parse(v.expires);
    if (Number.isNaN(at) || at <= now) problems.push(`--expires must be a future date-time (got "${v.expires}")`);
    return at;
  }
  return null;
}

async function list(
  store: Store,
  out: NodeJS.WritableStream,
  now: number,
  all: boolean,
  json: boolean,
): Promise<number> {
  const keys: ApiKeyRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.apiKeys.list({ limit: 500, cursor, includeRevoked: all });
    keys.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  if (json) {
    out.write(`${JSON.stringify(keys, null, 2)}\n`);
    return 0;
  }
  const day = (t: number | null) => (t === null ? '-' : new Date(t).toISOString().slice(0, 16).replace('T', ' '));
  const status = (k: ApiKeyRecord) =>
    k.revokedAt !== null ? 'revoked' : k.expiresAt !== null && k.expiresAt <= now ? 'expired' : 'active';
  const rows = keys.map((k) => [
    k.id,
    k.prefix,
    k.name + (k.env ? ' (env)' : ''),
    k.scopes.join(','),
    status(k),
    day(k.createdAt),
    day(k.lastUsedAt),
    day(k.expiresAt),
  ]);
  const head = ['ID', 'PREFIX', 'NAME', 'SCOPES', 'STATUS', 'CREATED', 'LAST USED', 'EXPIRES'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows])
    out.write(
      `${r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  return 0;
}

async function revoke(
  store: Store,
  ref: string,
  actor: Actor,
  now: number,
  out: NodeJS.WritableStream,
  err: NodeJS.WritableStream,
): Promise<number> {
  let key = await store.apiKeys.get(ref);
  if (!key) {
    const live = (await store.apiKeys.list({ limit: 10_000 })).items.filter(
      (k) => k.prefix.startsWith(ref) || ref.startsWith(k.prefix),
    );
    if (live.length > 1) return (err.write(`herald keys: "${ref}" matches ${live.length} keys; give the id\n`), 2);
    key = live[0];
  }
  if (!key) return (err.write(`herald keys: no key "${ref}"\n`), 1);
  const r = await revokeKey(store, key.id, actor, now);
  out.write(r?.changed ? `Revoked ${key.id} "${key.name}".\n` : `${key.id} "${key.name}" was already revoked.\n`);
  return 0;
}
