import type { Kysely } from 'kysely';
import type { Channel } from '../domain/message.ts';
import type { Database, OutboxTable } from './schema.ts';
import type { Page } from './store.ts';

/** One message as the `outbox` provider caught it. */
export interface OutboxEntry {
  /** The Herald message id. */
  id: string;
  channel: Channel;
  provider: string;
  recipient: string;
  sender: string | null;
  subject: string | null;
  text: string | null;
  html: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: number;
}

export interface OutboxFilter {
  channel?: Channel | undefined;
  recipient?: string | undefined;
}

function fromRow(r: OutboxTable): OutboxEntry {
  return {
    id: r.id,
    channel: r.channel as Channel,
    provider: r.provider,
    recipient: r.recipient,
    sender: r.sender,
    subject: r.subject,
    text: r.body_text,
    html: r.body_html,
    metadata: r.metadata ? (JSON.parse(r.metadata) as Record<string, unknown>) : null,
    createdAt: Number(r.created_at),
  };
}

/**
 * The outbox table (migration 0002). Keyed by message id, so a message delivered twice (a lease
 * that expired mid-call: delivery is at-least-once) is caught once.
 */
export class KyselyOutboxRepo {
  private readonly db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  /** Inserts entries in one statement; ids already present are left as they are. */
  async insertMany(entries: readonly OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.db
      .insertInto('outbox')
      .values(
        entries.map((e) => ({
          id: e.id,
          channel: e.channel,
          provider: e.provider,
          recipient: e.recipient,
          sender: e.sender,
          subject: e.subject,
          body_text: e.text,
          body_html: e.html,
          metadata: e.metadata ? JSON.stringify(e.metadata) : null,
          created_at: e.createdAt,
        })),
      )
      .onConflict((oc) => oc.column('id').doNothing())
      .execute();
  }

  async get(id: string): Promise<OutboxEntry | undefined> {
    const row = await this.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  /** Newest first, keyset-paginated on id (UUIDv7 = creation order). */
  async list(filter: OutboxFilter, limit: number, cursor?: string): Promise<Page<OutboxEntry>> {
    let q = this.db.selectFrom('outbox').selectAll();
    if (filter.channel) q = q.where('channel', '=', filter.channel);
    if (filter.recipient) q = q.where('recipient', '=', filter.recipient);
    if (cursor) q = q.where('id', '<', cursor);
    const rows = await q
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(fromRow);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
  }
}
