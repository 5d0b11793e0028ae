import { ConfigError, type Config } from '../config/config.ts';
import { NewerDatabaseError } from '../store/migrator.ts';
import type { ProviderSet } from '../providers/build.ts';

/**
 * What `herald` prints when it cannot start: one plain line per problem on stderr, no stack
 * trace, exit code 2 (main.ts). A StartupError's message is already that line.
 */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}

type ErrorLike = Error & { code?: string; syscall?: string; severity?: string; address?: string; port?: number };

/** The lines to print for an error that stopped Herald before it ran. */
export function startupErrorLines(err: unknown, databaseUrl: string | undefined): string[] {
  if (err instanceof ConfigError) return err.problems.map((p) => `herald: config: ${p}`);
  if (err instanceof StartupError) return [`herald: ${err.message}`];
  if (err instanceof NewerDatabaseError) return [`herald: database: ${err.message}`];
  const e = firstCause(err);
  if (databaseUrl !== undefined && isDatabaseError(e)) {
    return [`herald: cannot use the database ${maskPassword(databaseUrl)}: ${databaseReason(e)}`];
  }
  return [`herald: failed to start: ${oneLine(e.message || e.code || String(err))}`];
}

/** A listen failure in words: the address and what to do about it. */
export function listenError(err: unknown, what: string, host: string, port: number): StartupError {
  const e = firstCause(err);
  const why: Record<string, string> = {
    EADDRINUSE: 'the port is in use by another process (stop it, or choose another port)',
    EACCES: 'permission denied (ports below 1024 need privileges: choose a port ≥ 1024)',
    EADDRNOTAVAIL: 'this machine has no such address (check HOST)',
    ENOTFOUND: 'no such host name (check HOST)',
  };
  return new StartupError(`cannot listen on ${host}:${port} (${what}): ${why[e.code ?? ''] ?? oneLine(e.message)}`, {
    cause: err,
  });
}

/** The framed notice of a generated first API key, for stderr: never part of the JSON log. */
export function framedKeyNotice(key: string): string {
  const lines = [
    'Herald generated its first API key. It is shown only this once:',
    '',
    `    ${key}`,
    '',
    `Use it as:  Authorization: Bearer ${key}`,
    'Keep it in a secret store: Herald keeps only its hash. Set HERALD_API_KEY to choose your own.',
  ];
  const width = Math.max(...lines.map((l) => l.length));
  const bar = '─'.repeat(width + 2);
  return ['', `┌${bar}┐`, ...lines.map((l) => `│ ${l.padEnd(width)} │`), `└${bar}┘`, ''].join('\n') + '\n';
}

/**
 * The log line that says which providers and routes are in force and where each came from
 * (the providers file, or Herald's default outbox).
 */
export function providersInForce(
  set: ProviderSet,
  config: Pick<Config, 'providers' | 'configFile'>,
): { fields: Record<string, unknown>; msg: string } {
  const fromFile = new Set(config.providers.map((p) => p.name));
  const providers = [...set.byName.values()].map(({ config: c }) => ({
    name: c.name,
    type: c.type,
    channel: c.channel,
    from: fromFile.has(c.name) ? config.configFile : 'default',
  }));
  const list = providers.map((p) => `${p.name} (${p.type}${p.from === 'default' ? ', default' : ''})`).join(', ');
  const routes = Object.entries(set.routes)
    .map(([channel, names]) => `${channel}: ${names.join(' → ')}`)
    .join('; ');
  const source = config.configFile ? `from ${config.configFile}` : 'HERALD_CONFIG is not set';
  return {
    fields: { providers, routes: set.routes, configFile: config.configFile ?? null },
    msg: `providers in force (${source}): ${list}; routes ${routes}`,
  };
}

function firstCause(err: unknown): ErrorLike {
  // Connecting to "localhost" tries every address: Node reports an AggregateError of them all.
  if (err instanceof AggregateError && err.errors[0] instanceof Error) return err.errors[0];
  return err instanceof Error ? err : new Error(String(err));
}

function isDatabaseError(e: ErrorLike): boolean {
  return (
    e.severity !== undefined || // PostgreSQL's own answer (pg's DatabaseError)
    e.syscall === 'connect' ||
    e.syscall === 'getaddrinfo' ||
    (e.code?.startsWith('ERR_SQLITE') ?? false) ||
    e.code === 'ECONNRESET' ||
    e.code === 'ETIMEDOUT'
  );
}

function databaseReason(e: ErrorLike): string {
  switch (e.code) {
    case 'ECONNREFUSED':
      return `connection refused at ${e.address ?? '?'}:${e.port ?? '?'} (is the database server running?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `host name not found (${oneLine(e.message)})`;
    default:
      return oneLine(e.message);
  }
}

/** `postgres://user:***@host/db`: the URL without its password. */
export function maskPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@]*:)[^@/]*@/i, '$1***@');
}

function oneLine(text: string): string {
  return text.split('\n')[0]!.trim();
}
