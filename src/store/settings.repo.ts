import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/**
 * Values Herald makes once and keeps (migration 0007, table herald_settings), such as the
 * generated secret that signs unsubscribe links when none is configured. The first writer wins:
 * every process of one database reads the same value.
 */
export class KyselySettingsRepo {
  private readonly db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  /** The stored value of `name`, storing `make()` first when there is none. */
  async getOrCreate(name: string, make: () => string, now: number): Promise<string> {
    await this.db
      .insertInto('herald_settings')
      .values({ name, value: make(), created_at: now })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const r = await this.db
      .selectFrom('herald_settings')
      .select('value')
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    return r.value;
  }
}
