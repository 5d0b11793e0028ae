import { sql, type Kysely } from 'kysely';
import { chunk } from './rows.ts';
import { recipientHash } from '../domain/recipients.ts';
import type { Database } from './schema.ts';
import type { Suppression, SuppressionSource } from './suppressions.repo.ts';

export interface ScreeningLookup {
  suppressions: Map<string, Suppression>;
  optOuts: Map<string, number>;
}

/** Screening look-ups over the suppression list and preferences (see RecipientScreen). */
export class ScreeningRepo {
  private readonly db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  lookup(recipients: readonly string[], withCategories: ReadonlySet<string>): Promise<ScreeningLookup> {
    return lookupRecipients(this.db, recipients, withCategories);
  }
}

/*
 * lookupRecipients — inputs: distinct normalised recipients, and the subset whose messages carry
 * categories; output: their suppression entries and opt-out flags.
 * One round trip per 1000 recipients (UNION ALL of two indexed IN queries): ingest runs this once
 * per group commit, on its hot path. An erased recipient's suppression entry is kept under its hash
 * (recipientHash), so each key is looked up in both forms.
 */
async function lookupRecipients(
  db: Kysely<Database>,
  recipients: readonly string[],
  withCategories: ReadonlySet<string>,
): Promise<ScreeningLookup> {
  const out: ScreeningLookup = { suppressions: new Map(), optOuts: new Map() };
  for (const part of chunk(recipients, 1000)) {
    const prefKeys = part.filter((r) => withCategories.has(r));
    const byHash = new Map(part.map((r) => [recipientHash(r), r]));
    let q = db
      .selectFrom('suppressions')
      .select(['recipient', sql<string>`'s'`.as('kind'), 'source', 'reason', sql<number>`created_at`.as('n')])
      .where('recipient', 'in', [...part, ...byHash.keys()]);
    if (prefKeys.length > 0) {
      q = q.unionAll(
        db
          .selectFrom('preferences')
          .select([
            'recipient',
            sql<string>`'p'`.as('kind'),
            sql<string>`''`.as('source'),
            sql<string | null>`NULL`.as('reason'),
            sql<number>`opt_out`.as('n'),
          ])
          .where('recipient', 'in', prefKeys),
      );
    }
    for (const r of await q.execute()) {
      if (r.kind === 'p') out.optOuts.set(r.recipient, Number(r.n));
      else
        out.suppressions.set(byHash.get(r.recipient) ?? r.recipient, {
          recipient: r.recipient,
          reason: r.reason,
          source: r.source as SuppressionSource,
          createdAt: Number(r.n),
        });
    }
  }
  return out;
}
