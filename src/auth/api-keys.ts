import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { uuidv7 } from '../domain/ids.ts';

/** API keys are random 32-byte secrets; only their SHA-256 is stored (high entropy: no slow hash needed). */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateKey(): string {
  return `hk_${randomBytes(32).toString('base64url')}`;
}

/**
 * Makes sure a first key exists. HERALD_API_KEY is registered if given; with no key at all,
 * one is generated and returned once, to be printed: it is never stored in clear.
 */
export async function bootstrapApiKey(
  store: Store,
  fromEnv: string | undefined,
  now: number,
): Promise<string | undefined> {
  if (fromEnv) {
    await store.apiKeys.insert(
      { id: uuidv7(now), name: 'HERALD_API_KEY', prefix: fromEnv.slice(0, 6), hash: hashKey(fromEnv), scopes: ['*'] },
      now,
    );
    return undefined;
  }
  if ((await store.apiKeys.count()) > 0) return undefined;
  const key = generateKey();
  await store.apiKeys.insert(
    { id: uuidv7(now), name: 'generated', prefix: key.slice(0, 6), hash: hashKey(key), scopes: ['*'] },
    now,
  );
  return key;
}
