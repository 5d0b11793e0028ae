import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashKey } from '../../auth/api-keys.ts';
import type { Clock } from '../../domain/clock.ts';
import { AppError } from '../../errors/app-error.ts';
import type { ApiKeyRecord, Store } from '../../store/store.ts';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: ApiKeyRecord;
  }
}

const CACHE_MS = 30_000;
const CACHE_MAX = 1000;

/**
 * Bearer-key check for every API route (an onRequest hook). Known hashes are cached for 30 s so
 * ingestion does not read the key table on each request; a revoked key stops working within that.
 * Any failure is the same 401: nothing tells a wrong key from a missing one.
 */
export function bearerAuth(store: Store, clock: Clock) {
  const cache = new Map<string, { key: ApiKeyRecord; until: number }>();
  return async function authenticate(req: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) throw new AppError('HERALD_UNAUTHORIZED');
    const hash = hashKey(m[1]!);
    const now = clock.now();
    const hit = cache.get(hash);
    if (hit && hit.until > now) {
      req.apiKey = hit.key;
      return;
    }
    const key = await store.apiKeys.findByHash(hash);
    if (!key) throw new AppError('HERALD_UNAUTHORIZED');
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(hash, { key, until: now + CACHE_MS });
    req.apiKey = key;
  };
}
