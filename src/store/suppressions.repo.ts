import type { Kysely } from 'kysely';
import { recipientHash } from '../domain/recipients.ts';
import { chunk } from './rows.ts';
import type { Database, SuppressionsTable } from './schema.ts';
import type { Page } from './store.ts';

export type SuppressionSource = 'api' | 'bounce' | 'spam' | 'unsubscribe';

export interface Suppression {
  /** The normalised recipient (recipientKey). */
  recipient: string;
  reason: string | null;
  source: SuppressionSource;
  createdAt: number;
}

function fromRow(r: SuppressionsTable): Suppression {
  return {
    recipient: r.recipient,
    reason: r.reason,
    source: r.source as SuppressionSource,
    createdAt: Number(r.created_at),
  };
}

/**
 * The suppression list (migration 0003): recipients Herald never sends to. Keys are normalised by
 * callers. An erased recipient's entry is kept under its hash (recipientHash): get, remove and
 * findMany find it by the plain key too.
 */
export class KyselySuppressionRepo {
  private readonly db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  async get(recipient: string): Promise<Suppression | undefined> {
    const rows = await this.db
      .selectFrom('suppressions')
      .selectAll()
      .where('recipient', 'in', [recipient, recipientHash(recipient)])
      .execute();
    const r = rows.find((x) => x.recipient === recipient) ?? rows[0];
    return r && fromRow(r);
  }

  /** Adds an entry; an existing one is kept as it is (its first reason and source stand). */
  async add(entry: Suppression): Promise<{ created: boolean; entry: Suppression }> {
    const r = await this.db
      .insertInto('suppressions')
      .values({ recipient: entry.recipient, reason: entry.reason, source: entry.source, created_at: entry.createdAt })
      .onConflict((oc) => oc.column('recipient').doNothing())
      .executeTakeFirst();
    if (Number(r.numInsertedOrUpdatedRows ?? 0n) > 0) return { created: true, entry };
    return { created: false, entry: (await this.get(entry.recipient)) ?? entry };
  }

  async remove(recipient: string): Promise<boolean> {
    const r = await this.db
      .deleteFrom('suppressions')
      .where('recipient', 'in', [recipient, recipientHash(recipient)])
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Newest first, keyset-paginated on (created_at, recipient). The cursor is opaque to clients. */
  async list(limit: number, cursor?: string, source?: SuppressionSource): Promise<Page<Suppression>> {
    let q = this.db.selectFrom('suppressions').selectAll();
    if (source) q = q.where('source', '=', source);
    const after = cursor ? decodeCursor(cursor) : undefined;
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb('created_at', '<', after.at),
          eb.and([eb('created_at', '=', after.at), eb('recipient', '<', after.recipient)]),
        ]),
      );
    }
    const rows = await q
      .orderBy('created_at', 'desc')
      .orderBy('recipient', 'desc')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(fromRow);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
  }

  /*
   * reasons — input: distinct normalised recipients; output: the suppressed ones with their entry.
   * One indexed IN query per 1000 recipients: ingest calls this once per group commit.
   */
  async findMany(recipients: readonly string[]): Promise<Map<string, Suppression>> {
    const out = new Map<string, Suppression>();
    for (const part of chunk(recipients, 1000)) {
      const byHash = new Map(part.map((r) => [recipientHash(r), r]));
      const rows = await this.db
        .selectFrom('suppressions')
        .selectAll()
        .where('recipient', 'in', [...part, ...byHash.keys()])
        .execute();
      for (const r of rows) out.set(byHash.get(r.recipient) ?? r.recipient, fromRow(r));
    }
    return out;
  }
}

function encodeCursor(s: Suppression): string {
  return Buffer.from(JSON.stringify([s.createdAt, s.recipient])).toString('base64url');
}

/** A malformed cursor reads as "from the start" rather than an error: it only ever came from us. */
export function decodeCursor(c: string): { at: number; recipient: string } | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
    if (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string') return { at: v[0], recipient: v[1] };
  } catch {
    // fall through
  }
  return undefined;
}
