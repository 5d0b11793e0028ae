import { createHash, randomBytes } from 'node:crypto';
import { uuidv7 } from '../domain/ids.ts';
import type { ApiKeyRecord } from '../store/api-keys.repo.ts';
import type { Actor } from '../store/audit.repo.ts';
import type { Store } from '../store/store.ts';
import type { Scope } from './scopes.ts';

/** Shorter secrets are refused (HERALD_API_KEY): a key is the only thing between the API and anyone. */
export const MIN_KEY_LENGTH = 24;
/** Characters of a secret kept in clear to recognise it in lists (`hk_` and 7 random ones). */
const PREFIX_LENGTH = 10;

/** API keys are random 32-byte secrets; only their SHA-256 is stored (high entropy: no slow hash needed). */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function generateKey(): string {
  return `hk_${randomBytes(32).toString('base64url')}`;
}

/** Why a given secret cannot be a key, or undefined when it can. */
export function keyProblem(key: string): string | undefined {
  if (key.length < MIN_KEY_LENGTH) return `must be at least ${MIN_KEY_LENGTH} characters (got ${key.length})`;
  if (/\s/.test(key)) return 'must not contain spaces';
  return undefined;
}

export interface CreateKeyInput {
  name: string;
  scopes: readonly Scope[];
  expiresAt?: number | null | undefined;
}

/**
 * Makes a key with a fresh secret and records it in the audit log, in one transaction. The
 * secret is returned once and never stored in clear.
 */
export async function createKey(
  store: Store,
  input: CreateKeyInput,
  actor: Actor,
  now: number,
): Promise<{ key: ApiKeyRecord; secret: string }> {
  const secret = generateKey();
  const id = uuidv7(now);
  return store.transaction(async (tx) => {
    await tx.apiKeys.insert(
      {
        id,
        name: input.name,
        prefix: secret.slice(0, PREFIX_LENGTH),
        hash: hashKey(secret),
        scopes: input.scopes,
        expiresAt: input.expiresAt ?? null,
        createdBy: actor.id,
      },
      now,
    );
    const key = (await tx.apiKeys.get(id))!;
    await tx.audit.record(
      { actor, action: 'key.create', objectType: 'key', objectId: id, detail: keyDetail(key) },
      now,
    );
    return { key, secret };
  });
}

/** Revokes a key (audited). `undefined`: no such key; `revokedAt` already set before: it was revoked earlier. */
export async function revokeKey(
  store: Store,
  id: string,
  actor: Actor,
  now: number,
): Promise<{ key: ApiKeyRecord; changed: boolean } | undefined> {
  return store.transaction(async (tx) => {
    const before = await tx.apiKeys.get(id);
    if (!before) return undefined;
    if (before.revokedAt !== null) return { key: before, changed: false };
    const key = (await tx.apiKeys.revoke(id, now))!;
    await tx.audit.record(
      { actor, action: 'key.revoke', objectType: 'key', objectId: id, detail: keyDetail(key) },
      now,
    );
    return { key, changed: true };
  });
}

function keyDetail(k: ApiKeyRecord): Record<string, unknown> {
  return { name: k.name, prefix: k.prefix, scopes: k.scopes, expiresAt: k.expiresAt };
}

export interface Bootstrap {
  /** A generated first key (no key existed, none given): shown once, never stored in clear. */
  generated?: string;
  /** Environment keys revoked because HERALD_API_KEY changed. */
  revoked: ApiKeyRecord[];
  /** HERALD_API_KEY names a key that was revoked (through the API or CLI): it does not authenticate. */
  envKeyRevoked: boolean;
}

const ENV_ACTOR: Actor = { id: null, name: 'HERALD_API_KEY', address: 'environment' };

/**
 * Makes sure a first key exists. HERALD_API_KEY is registered as the environment key (admin); the
 * environment key of an earlier start with another value is revoked. With no key at all, one is
 * generated and returned once. A key revoked by hand stays revoked even if the variable still
 * holds it (change the variable to get a working environment key again).
 */
export async function bootstrapApiKey(store: Store, fromEnv: string | undefined, now: number): Promise<Bootstrap> {
  if (fromEnv) {
    const hash = hashKey(fromEnv);
    return store.transaction(async (tx) => {
      const id = uuidv7(now);
      const prefix = fromEnv.slice(0, Math.min(PREFIX_LENGTH, fromEnv.length - 16));
      const added = await tx.apiKeys.insert(
        { id, name: 'HERALD_API_KEY', prefix, hash, scopes: ['admin'], env: true },
        now,
      );
      if (added)
        await tx.audit.record({ actor: ENV_ACTOR, action: 'key.create', objectType: 'key', objectId: id }, now);
      const revoked = await tx.apiKeys.revokeOtherEnvKeys(hash, now);
      for (const k of revoked)
        await tx.audit.record(
          {
            actor: ENV_ACTOR,
            action: 'key.revoke',
            objectType: 'key',
            objectId: k.id,
            detail: { ...keyDetail(k), reason: 'HERALD_API_KEY changed' },
          },
          now,
        );
      const envKeyRevoked = !added && !(await tx.apiKeys.findByHash(hash));
      return { revoked, envKeyRevoked };
    });
  }
  if ((await store.apiKeys.count()) > 0) return { revoked: [], envKeyRevoked: false };
  const { secret } = await createKey(
    store,
    { name: 'generated', scopes: ['admin'] },
    { id: null, name: 'herald' },
    now,
  );
  return { generated: secret, revoked: [], envKeyRevoked: false };
}
