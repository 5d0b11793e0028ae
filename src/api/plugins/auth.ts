import type { BlockList } from 'node:net';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest, RouteOptions } from 'fastify';
import { hashKey } from '../../auth/api-keys.ts';
import { blockListOf, type Cidr } from '../../config/cidr.ts';
import { grants, type RouteAccess, type Scope } from '../../auth/scopes.ts';
import type { Clock } from '../../domain/clock.ts';
import { AppError, coerceError } from '../../errors/app-error.ts';
import type { ApiKeyRecord } from '../../store/api-keys.repo.ts';
import type { Actor } from '../../store/audit.repo.ts';
import type { Store } from '../../store/store.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The key that authenticated this request (absent on public routes and open compat calls). */
    apiKey?: ApiKeyRecord;
  }
  interface FastifyInstance {
    /** The app's access control (src/api/plugins/auth.ts); `requireScope` reaches it through here. */
    access: Access;
  }
}

const CACHE_MS = 10_000;
const CACHE_MAX = 1000;

/**
 * FNV-1a (32 bits) of the presented key: the cache's map key. Far cheaper than SHA-256 per
 * request; a hit is confirmed by comparing the presented key with the one cached, so a collision
 * only costs a miss.
 */
export function fastKeyHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

interface CachedKey {
  /** The presented secret, to confirm a hit (the map key is only a fast hash of it). */
  secret: string;
  key: ApiKeyRecord;
  until: number;
}

export interface AccessOptions {
  store: Store;
  clock: Clock;
  /** HERALD_COMPAT_AUTH: false opens the `compat` routes to everyone. */
  compatAuth: boolean;
  /** HERALD_COMPAT_ALLOW: addresses that may call `compat` routes without a key. */
  compatAllow?: BlockList | undefined;
}

/**
 * Who may call what. Every route declares its access in its config (`scope`, src/auth/scopes.ts);
 * one onRequest hook applies it, so no route can be reached by being registered in the wrong place.
 * A route that declares nothing needs an admin key (fail closed).
 *
 * Keys are looked up by SHA-256 and cached for 10 s under a fast hash of the presented secret
 * (fastKeyHash), so ingestion neither reads the key table nor hashes with SHA-256 on each
 * request: a revoked key stops at once in the process that revoked it (invalidate) and within
 * 10 s in others. Any authentication failure is the same 401: nothing tells a wrong key from a missing one.
 */
export class Access {
  private readonly o: AccessOptions;
  private readonly cache = new Map<number, CachedKey>();
  /** Store look-ups made (cache misses), for tests. */
  lookups = 0;

  constructor(opts: AccessOptions) {
    this.o = opts;
  }

  /**
   * The onRequest hook: the matched route's declared access. Unmatched URLs go on to the 404 handler.
   * Callback style, so that a request whose key is cached passes without a promise (the ingest hot path).
   */
  readonly hook = (req: FastifyRequest, _reply: unknown, done: (err?: Error) => void): void => {
    if (req.is404) return done();
    const checked = this.enforce(req, req.routeOptions.config.scope ?? 'admin');
    if (checked) checked.then(() => done(), done);
    else done();
  };

  /**
   * Applies one access rule to a request (throws 401/403 as AppError). Synchronous when no store
   * look-up is needed (open routes, a cached key); a promise otherwise.
   */
  enforce(req: FastifyRequest, access: RouteAccess): Promise<void> | undefined {
    if (access === 'public' || access === 'receipt') return;
    if (access === 'compat' && (this.o.compatAllow?.check(req.ip) || !this.o.compatAuth)) return;
    const key = this.authenticate(req);
    if (key instanceof Promise) return key.then((k) => checkGrant(k, access));
    checkGrant(key, access);
  }

  /**
   * The bearer key of the request, or a 401. Sets `req.apiKey`. Synchronous for a cached key; a
   * promise when the store must be asked.
   */
  authenticate(req: FastifyRequest): ApiKeyRecord | Promise<ApiKeyRecord> {
    const secret = bearerSecret(req.headers.authorization);
    if (secret === undefined) throw new AppError('HERALD_UNAUTHORIZED');
    const slot = fastKeyHash(secret);
    const now = this.o.clock.now();
    const hit = this.cache.get(slot);
    const key = hit && hit.until > now && hit.secret === secret ? hit.key : undefined;
    if (!key) return this.lookUp(req, secret, slot, now);
    return admit(req, key, now);
  }

  /** A cache miss: the key from the store (then cached), its last use recorded. */
  private async lookUp(req: FastifyRequest, secret: string, slot: number, now: number): Promise<ApiKeyRecord> {
    this.lookups++;
    const key = await this.o.store.apiKeys.findByHash(hashKey(secret));
    if (!key) throw new AppError('HERALD_UNAUTHORIZED');
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(slot, { secret, key, until: now + CACHE_MS });
    // Last use is written at most once per cache period per key and process.
    await this.o.store.apiKeys.touch(key.id, now).catch((err: unknown) => {
      req.log.warn({ err: coerceError(err) }, 'could not record the API key last use');
    });
    return admit(req, key, now);
  }

  /** Forgets a cached key (after its revocation, so it takes effect at once here); no id: every key. */
  invalidate(keyId?: string): void {
    if (keyId === undefined) return this.cache.clear();
    for (const [slot, c] of this.cache) if (c.key.id === keyId) this.cache.delete(slot);
  }
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/**
 * The secret of `Authorization: Bearer <secret>` (RFC 6750 §2.1; the scheme in any case, any
 * whitespace around the secret), or undefined. The usual exact form is read without a match object.
 */
export function bearerSecret(header: string | undefined): string | undefined {
  if (!header) return undefined;
  if (header.startsWith('Bearer ') && header.length > 7) {
    const secret = header.slice(7);
    if (!/\s/.test(secret)) return secret;
  }
  return BEARER.exec(header)?.[1];
}

/** An unexpired key becomes the request's key; an expired one is a 401. */
function admit(req: FastifyRequest, key: ApiKeyRecord, now: number): ApiKeyRecord {
  if (key.expiresAt !== null && key.expiresAt <= now)
    throw new AppError('HERALD_UNAUTHORIZED', 'This API key has expired');
  req.apiKey = key;
  return key;
}

/** A 403 unless the key grants `access`. */
function checkGrant(key: ApiKeyRecord, access: Scope): void {
  if (!grants(key.scopes, access)) {
    throw new AppError(
      'HERALD_FORBIDDEN',
      `This API key lacks the scope "${access}" (it has: ${key.scopes.join(', ') || 'none'})`,
      { required: access, granted: key.scopes },
    );
  }
}

/**
 * Inside a handler: requires a key with `scope` (e.g. receipts of a provider without its own
 * signature need a `providers` key). The one function to call for a check a route config cannot express.
 */
export async function requireScope(req: FastifyRequest, scope: Scope): Promise<void> {
  await req.server.access.enforce(req, scope);
}

/** Who made this request, for the audit log. */
export function actorOf(req: FastifyRequest): Actor {
  const k = req.apiKey;
  return { id: k?.id ?? null, name: k?.name ?? 'anonymous', address: req.ip };
}

/** Installs access control on an app: the hook, `app.access`, and the route table for tests. */
export function installAccess(app: FastifyInstance, opts: AccessOptions): Access {
  const access = new Access(opts);
  app.decorate('access', access);
  const table: RouteOptions[] = [];
  tables.set(app, table);
  // Kept as given: scopes set by withScope's hook (which runs after this one) are read later.
  app.addHook('onRoute', (r) => void table.push(r));
  app.addHook('onRequest', access.hook);
  return access;
}

export interface RouteEntry {
  method: string;
  url: string;
  scope: RouteAccess | undefined;
}
const tables = new WeakMap<FastifyInstance, RouteOptions[]>();

/** Every route registered on an app built with installAccess, with its declared access. */
export function routeTable(app: FastifyInstance): RouteEntry[] {
  return (tables.get(app) ?? []).flatMap((r) =>
    [r.method].flat().map((method) => ({ method, url: r.url, scope: r.config?.scope })),
  );
}

/**
 * Registers `plugin` so that every route in it has `access`, whatever the route says: for routes
 * added by libraries (Swagger UI, static files) and for whole compatibility APIs (`compat`).
 */
export function withScope(access: RouteAccess, plugin: FastifyPluginAsync): FastifyPluginAsync {
  return async (app) => {
    scopeRoutes(app, access);
    await app.register(plugin);
  };
}

/** Gives every route registered from now on in this plugin scope `access` (see withScope). */
export function scopeRoutes(app: FastifyInstance, access: RouteAccess): void {
  app.addHook('onRoute', (r: RouteOptions) => {
    r.config = { ...r.config, scope: access };
  });
}

/** Access options from Herald's config. */
export function accessOptions(deps: {
  store: Store;
  clock: Clock;
  config: { compatAuth: boolean; compatAllow: readonly Cidr[] };
}): AccessOptions {
  const { compatAuth, compatAllow } = deps.config;
  return {
    store: deps.store,
    clock: deps.clock,
    compatAuth,
    compatAllow: compatAllow.length > 0 ? blockListOf(compatAllow) : undefined,
  };
}
