import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';
import type { ApiKeyRecord, ApiKeyRepo } from './store.ts';

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

  async insert(
    key: { id: string; name: string; prefix: string; hash: string; scopes: string[] },
    now: number,
  ): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({ ...key, scopes: key.scopes.join(' '), created_at: now, last_used_at: null, revoked_at: null })
      .onConflict((oc) => oc.column('hash').doNothing())
      .execute();
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | undefined> {
    const r = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!r) return undefined;
    return {
      id: r.id,
      name: r.name,
      prefix: r.prefix,
      scopes: r.scopes.split(' ').filter(Boolean),
      createdAt: Number(r.created_at),
    };
  }
}
