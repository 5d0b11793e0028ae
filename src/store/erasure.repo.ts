import { sql, type Kysely } from 'kysely';
import type { Capabilities } from './capabilities.ts';
import { addCounts, deleteMessageTrees, NO_ROWS, writeFirst, type PurgeCounts } from './purge.ts';
import type { Database } from './schema.ts';

/** The forms a person's address may be stored in (all lower case), and where to look for them. */
export interface ErasureTarget {
  /** The recipientKey (suppressions, preferences). */
  key: string;
  /** What stays of a suppression entry (recipientHash(key)). */
  hash: string;
  /** lower(recipient) values of their messages, and of contacts' e-mail/phone. */
  forms: readonly string[];
}

export interface ErasureResult extends PurgeCounts {
  contacts: number;
  preferences: number;
  /** `hashed`: the suppression entry was kept as its hash; `none`: there was none. */
  suppression: 'hashed' | 'none';
  /** Audit entries whose object was the address, now naming the hash instead. */
  auditEntries: number;
}

/**
 * Erasure of one person (DELETE /v1/recipients/{recipient}, GDPR Art. 17). Their messages go in
 * pages (each its own short transaction, like retention); the rest goes in one last transaction
 * that the caller's audit entry joins (`finish` runs inside `store.transaction`).
 */
export class KyselyErasureRepo {
  private readonly db: Kysely<Database>;
  private readonly caps: Capabilities;
  constructor(db: Kysely<Database>, caps: Capabilities) {
    this.db = db;
    this.caps = caps;
  }

  /*
   * eraseMessages — input: the address forms, the id bound of the request's start, a page size;
   * output: rows deleted. Each store's one recipient index finds the messages (equality on its
   * case-folded key, id order within it; migrations 0009 and 0017): PostgreSQL's
   * `messages_recipient_lower` (lower(recipient), id), SQLite's `messages_recipient_nocase`.
   */
  async eraseMessages(t: ErasureTarget, below: string, pageSize: number): Promise<PurgeCounts> {
    let total = NO_ROWS;
    for (let page = 0; page < 1_000_000; page++) {
      const counts = await this.db.transaction().execute(async (db) => {
        await writeFirst(db, this.caps);
        let q = db
          .selectFrom('messages')
          .select('id')
          .where(this.caps.ilike ? sql<string>`lower(recipient)` : sql<string>`recipient COLLATE NOCASE`, 'in', [
            ...t.forms,
          ])
          .where('id', '<', below)
          .orderBy('id')
          .limit(pageSize);
        if (this.caps.skipLocked) q = q.forUpdate();
        return deleteMessageTrees(
          db,
          (await q.execute()).map((r) => r.id),
        );
      });
      total = addCounts(total, counts);
      if (counts.messages < pageSize) break;
    }
    return total;
  }

  /*
   * finish — contacts, preferences, the suppression entry (kept as its hash, so a bounced
   * address stays blocked), and audit entries that named the address. Call inside a transaction.
   */
  async finish(t: ErasureTarget, now: number): Promise<Omit<ErasureResult, keyof PurgeCounts>> {
    const forms = [...t.forms];
    const contacts = await this.db
      .deleteFrom('contacts')
      .where((eb) => eb.or([eb(sql<string>`lower(email)`, 'in', forms), eb('phone', 'in', forms)]))
      .executeTakeFirst();
    const prefs = await this.db.deleteFrom('preferences').where('recipient', '=', t.key).executeTakeFirst();
    const entry = await this.db
      .selectFrom('suppressions')
      .selectAll()
      .where('recipient', 'in', [t.key, t.hash])
      .execute();
    const plain = entry.find((e) => e.recipient === t.key);
    if (plain) {
      await this.db.deleteFrom('suppressions').where('recipient', '=', t.key).execute();
      await this.db
        .insertInto('suppressions')
        .values({
          recipient: t.hash,
          reason: `recipient erased ${new Date(now).toISOString().slice(0, 10)} (was: ${plain.source})`,
          source: plain.source,
          created_at: plain.created_at,
        })
        .onConflict((oc) => oc.column('recipient').doNothing())
        .execute();
    }
    const audit = await this.db
      .updateTable('audit_log')
      .set({ object_id: t.hash })
      .where(sql<string>`lower(object_id)`, 'in', forms)
      .executeTakeFirst();
    return {
      contacts: Number(contacts.numDeletedRows),
      preferences: Number(prefs.numDeletedRows),
      suppression: entry.length > 0 ? 'hashed' : 'none',
      auditEntries: Number(audit.numUpdatedRows),
    };
  }
}
