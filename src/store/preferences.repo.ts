import type { Kysely } from 'kysely';
import { chunk } from './rows.ts';
import type { Database } from './schema.ts';

export interface Preference {
  /** The normalised recipient (recipientKey). */
  recipient: string;
  /** Opt-out category flags; 1 = opted into everything. */
  optOut: number;
  updatedAt: number;
}

/**
 * Opt-out flags per recipient (migration 0003). Built over the store's Kysely instance, so the
 * same code serves SQLite and PostgreSQL. Callers pass normalised keys (recipientKey).
 */
export class KyselyPreferenceRepo {
  private readonly db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  async get(recipient: string): Promise<Preference | undefined> {
    const r = await this.db.selectFrom('preferences').selectAll().where('recipient', '=', recipient).executeTakeFirst();
    return r && { recipient: r.recipient, optOut: Number(r.opt_out), updatedAt: Number(r.updated_at) };
  }

  /** Inserts or replaces the opt-out set. */
  async set(recipient: string, optOut: number, now: number): Promise<Preference> {
    await this.db
      .insertInto('preferences')
      .values({ recipient, opt_out: optOut, updated_at: now })
      .onConflict((oc) => oc.column('recipient').doUpdateSet({ opt_out: optOut, updated_at: now }))
      .execute();
    return { recipient, optOut, updatedAt: now };
  }

  /** Removes the entry; true when there was one. */
  async remove(recipient: string): Promise<boolean> {
    const r = await this.db.deleteFrom('preferences').where('recipient', '=', recipient).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /*
   * optOuts — input: distinct normalised recipients; output: their opt-out flags (absent: none).
   * One indexed IN query per 1000 recipients: ingest calls this once per group commit.
   */
  async optOuts(recipients: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const part of chunk(recipients, 1000)) {
      const rows = await this.db
        .selectFrom('preferences')
        .select(['recipient', 'opt_out'])
        .where('recipient', 'in', part)
        .execute();
      for (const r of rows) out.set(r.recipient, Number(r.opt_out));
    }
    return out;
  }
}
