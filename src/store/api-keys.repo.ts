import type { Kysely, Selectable } from 'kysely';
import type { ApiKeysTable, Database } from './schema.ts';
import type { Page } from './store.ts';

/** An API key as Herald shows it: never the secret, never its hash. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  /** The first characters of the secret, to recognise it. */
  prefix: string;
  scopes: string[];
  createdAt: number;
  lastUsedAt: number | null;
  /** null: never expires. */
  expiresAt: number | null;
  revokedAt: number | null;
  /** Came from HERALD_API_KEY. */
  env: boolean;
  /** Id of the key that created it (null: environment, generated first key, CLI). */
  createdBy: string | null;
}

export interface NewApiKey {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  scopes: readonly string[];
  expiresAt?: number | null;
  env?: boolean;
  createdBy?: string | null;
}

/** API keys (table api_keys). Secrets are stored as SHA-256 hashes only. */
export interface ApiKeyRepo {
  /** Keys not revoked (expired ones included). */
  count(): Promise<number>;
  /** Inserts a key; false when a key with the same hash exists (nothing changes then). */
  insert(key: NewApiKey, now: number): Promise<boolean>;
  /** The key with this hash, unless revoked (the caller checks expiry: it knows the time). */
  findByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Newest first, keyset-paginated on id; revoked keys only when asked. */
  list(opts: { limit: number; cursor?: string | undefined; includeRevoked?: boolean }): Promise<Page<ApiKeyRecord>>;
  /** Revokes a live key. Returns the key as it is now, or undefined when there is no such key. */
  revoke(id: string, now: number): Promise<ApiKeyRecord | undefined>;
  /** Revokes every live environment key except the one with `keepHash`; returns those revoked. */
  revokeOtherEnvKeys(keepHash: string, now: number): Promise<ApiKeyRecord[]>;
  /** Records use (called at most once per cache period per key and process). */
  touch(id: string, now: number): Promise<void>;
}

function record(r: Selectable<ApiKeysTable>): ApiKeyRecord {
  const num = (v: number | null) => (v === null ? null : Number(v));
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes.split(' ').filter(Boolean),
    createdAt: Number(r.created_at),
    lastUsedAt: num(r.last_used_at),
    expiresAt: num(r.expires_at),
    revokedAt: num(r.revoked_at),
    env: Number(r.env) === 1,
    createdBy: r.created_by,
  };
}

export class KyselyApiKeyRepo implements ApiKeyRepo {
  private readonly db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  async count(): Promise<number> {
    const r = await this.db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('revoked_at', 'is', null)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async insert(key: NewApiKey, now: number): Promise<boolean> {
    const r = await this.db
      .insertInto('api_keys')
      .values({
        id: key.id,
        name: key.name,
        prefix: key.prefix,
        hash: key.hash,
        scopes: key.scopes.join(' '),
        created_at: now,
        last_used_at: null,
        revoked_at: null,
        expires_at: key.expiresAt ?? null,
        env: key.env ? 1 : 0,
        created_by: key.createdBy ?? null,
      })
      .onConflict((oc) => oc.column('hash').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const r = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return r && record(r);
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const r = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return r && record(r);
  }

  async list(opts: { limit: number; cursor?: string; includeRevoked?: boolean }): Promise<Page<ApiKeyRecord>> {
    let q = this.db
      .selectFrom('api_keys')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(opts.limit + 1);
    if (!opts.includeRevoked) q = q.where('revoked_at', 'is', null);
    if (opts.cursor) q = q.where('id', '<', opts.cursor);
    const rows = await q.execute();
    const items = rows.slice(0, opts.limit).map(record);
    return { items, nextCursor: rows.length > opts.limit ? items[items.length - 1]!.id : null };
  }

  async revoke(id: string, now: number): Promise<ApiKeyRecord | undefined> {
    await this.db
      .updateTable('api_keys')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .execute();
    return this.get(id);
  }

  async revokeOtherEnvKeys(keepHash: string, now: number): Promise<ApiKeyRecord[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('env', '=', 1)
      .where('revoked_at', 'is', null)
      .where('hash', '!=', keepHash)
      .execute();
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    await this.db.updateTable('api_keys').set({ revoked_at: now }).where('id', 'in', ids).execute();
    return rows.map((r) => ({ ...record(r), revokedAt: now }));
  }

  async touch(id: string, now: number): Promise<void> {
    await this.db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
  }
}
