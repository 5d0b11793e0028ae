import { sql, type Kysely, type SelectQueryBuilder, type Selectable } from 'kysely';
import { uuidv7 } from '../domain/ids.ts';
import type { Contact, ContactFilter, NewContact } from '../campaigns/model.ts';
import type { Capabilities } from './capabilities.ts';
import { chunk } from './rows.ts';
import { CONTACT_SEARCH_TEXT, contactSearchTerm, escapeLike } from './search.ts';
import type { ContactsTable, Database } from './schema.ts';
import type { Page } from './store.ts';

/** Result of inserting one contact: created, or refused because its phone is taken. */
export type ContactInsert = { kind: 'created'; id: string } | { kind: 'duplicate'; phone: string };

export type ContactUpdate = { kind: 'updated'; contact: Contact } | { kind: 'not_found' } | { kind: 'duplicate' };

/** Contacts (seed 003 clients): CRUD, filtered keyset pages, counts. */
export interface ContactRepo {
  /** Inserts in one transaction; a phone already present (or repeated in the batch) is a duplicate. */
  insertMany(contacts: readonly NewContact[], now: number): Promise<ContactInsert[]>;
  get(id: string): Promise<Contact | undefined>;
  update(id: string, patch: Partial<NewContact>, now: number): Promise<ContactUpdate>;
  delete(id: string): Promise<boolean>;
  /** Matching contacts in id order (oldest first), after `cursor`. */
  list(filter: ContactFilter, limit: number, cursor?: string): Promise<Page<Contact>>;
  count(filter: ContactFilter): Promise<number>;
}

const COLUMNS = 9;

/** One contact in a JSON page: the columns in table order, attributes as an object. */
type JsonContact = [
  string,
  string | null,
  string | null,
  string | null,
  string | null,
  string,
  Record<string, unknown> | null,
  number,
  number,
];

/**
 * A contact from its row. Attributes are parsed here, not on first read: a getter defined per
 * object (what this was) cost more than the parse it saved even when nothing read them (measured
 * for the fan-out's pages: 1.1 µs against 0.4 µs a contact unread, 3–5 µs against 0.4–0.7 µs read;
 * docs/decisions/0027), and a plain object is what callers copy and serialise.
 */
export function contactFromRow(r: Selectable<ContactsTable>): Contact {
  return {
    id: r.id,
    phone: r.phone,
    email: r.email,
    operatorCode: r.operator_code,
    tag: r.tag,
    timezone: r.timezone,
    attributes: r.attributes ? (JSON.parse(r.attributes) as Record<string, unknown>) : {},
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** Applies a contact filter to any query over `contacts`. */
export function whereContacts<O>(
  q: SelectQueryBuilder<Database, 'contacts', O>,
  f: ContactFilter,
): SelectQueryBuilder<Database, 'contacts', O> {
  const term = f.search ? contactSearchTerm(f.search) : '';
  // Lowercased on both sides, so plain LIKE (PostgreSQL's default escape is `\`; SQLite needs it named).
  if (term) q = q.where(sql<boolean>`${CONTACT_SEARCH_TEXT} LIKE ${`%${escapeLike(term)}%`} ESCAPE '\\'`);
  if (f.operatorCodes && f.operatorCodes.length > 0) q = q.where('operator_code', 'in', [...f.operatorCodes]);
  if (f.tags && f.tags.length > 0) q = q.where('tag', 'in', [...f.tags]);
  if (f.timezones && f.timezones.length > 0) q = q.where('timezone', 'in', [...f.timezones]);
  if (f.channel === 'sms') q = q.where('phone', 'is not', null);
  if (f.channel === 'email') q = q.where('email', 'is not', null);
  return q;
}

export class KyselyContactRepo implements ContactRepo {
  private readonly db: Kysely<Database>;
  private readonly caps: Capabilities;
  constructor(db: Kysely<Database>, caps: Capabilities) {
    this.db = db;
    this.caps = caps;
  }

  /*
   * insertMany — multi-row INSERT … ON CONFLICT (phone) DO NOTHING RETURNING id; the rows that
   * come back were created, the others hit the unique phone index. One transaction.
   */
  async insertMany(contacts: readonly NewContact[], now: number): Promise<ContactInsert[]> {
    const rows = contacts.map((c) => rowFromContact(c, uuidv7(now), now));
    const created = new Set<string>();
    const run = async (db: Kysely<Database>) => {
      for (const part of chunk(rows, Math.floor(this.caps.maxParams / COLUMNS))) {
        const got = await db
          .insertInto('contacts')
          .values(part)
          .onConflict((oc) => oc.column('phone').doNothing())
          .returning('id')
          .execute();
        for (const r of got) created.add(r.id);
      }
    };
    await (this.db.isTransaction ? run(this.db) : this.db.transaction().execute(run));
    return rows.map((r) =>
      created.has(r.id) ? { kind: 'created', id: r.id } : { kind: 'duplicate', phone: r.phone! },
    );
  }

  async get(id: string): Promise<Contact | undefined> {
    const r = await this.db.selectFrom('contacts').selectAll().where('id', '=', id).executeTakeFirst();
    return r && contactFromRow(r);
  }

  async update(id: string, patch: Partial<NewContact>, now: number): Promise<ContactUpdate> {
    const current = await this.get(id);
    if (!current) return { kind: 'not_found' };
    const next = { ...current, ...patch };
    const row = rowFromContact(next, id, current.createdAt);
    try {
      await this.db
        .updateTable('contacts')
        .set({ ...row, id: undefined, created_at: undefined, updated_at: now })
        .where('id', '=', id)
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) return { kind: 'duplicate' };
      throw err;
    }
    return { kind: 'updated', contact: { ...next, updatedAt: now } };
  }

  async delete(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('contacts').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /*
   * list — a keyset page in id order. Where the capability says so (SQLite: rows cross from the
   * store's thread), the page comes back as one JSON text built by the database, attributes
   * embedded as objects: one string crosses threads and one JSON.parse reads it, where 2,000 row
   * objects were cloned key by key and each contact's attributes parsed on its own (the campaign
   * fan-out reads every contact this way; docs/decisions/0027).
   */
  async list(filter: ContactFilter, limit: number, cursor?: string): Promise<Page<Contact>> {
    let q = whereContacts(this.db.selectFrom('contacts').selectAll(), filter);
    if (cursor) q = q.where('id', '>', cursor);
    q = q.orderBy('id').limit(limit + 1);
    const items = this.caps.pageAsJson ? await this.jsonPage(q) : (await q.execute()).map(contactFromRow);
    const more = items.length > limit;
    if (more) items.length = limit;
    return { items, nextCursor: more ? items[items.length - 1]!.id : null };
  }

  /** The rows of `q` (all contact columns) as one JSON array of arrays, in id order. */
  private async jsonPage(q: SelectQueryBuilder<Database, 'contacts', Selectable<ContactsTable>>): Promise<Contact[]> {
    const r = await this.db
      .selectFrom(q.as('p'))
      .select(
        sql<string>`json_group_array(json_array(p.id, p.phone, p.email, p.operator_code, p.tag, p.timezone,
          json(p.attributes), p.created_at, p.updated_at))`.as('page'),
      )
      .executeTakeFirstOrThrow();
    const rows = JSON.parse(r.page) as JsonContact[];
    // The aggregate follows the ordered subquery in practice, but SQL does not promise it (an
    // ORDER BY inside the aggregate costs a sort): checked here, sorted only if ever needed.
    if (!rows.every((a, i) => i === 0 || rows[i - 1]![0] < a[0])) rows.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    return rows.map((a) => ({
      id: a[0],
      phone: a[1],
      email: a[2],
      operatorCode: a[3],
      tag: a[4],
      timezone: a[5],
      attributes: a[6] ?? {},
      createdAt: a[7],
      updatedAt: a[8],
    }));
  }

  async count(filter: ContactFilter): Promise<number> {
    const r = await whereContacts(
      this.db.selectFrom('contacts').select((eb) => eb.fn.countAll<number>().as('n')),
      filter,
    ).executeTakeFirstOrThrow();
    return Number(r.n);
  }
}

export function rowFromContact(c: NewContact, id: string, now: number): ContactsTable {
  const attrs = c.attributes && Object.keys(c.attributes).length > 0 ? JSON.stringify(c.attributes) : null;
  return {
    id,
    phone: c.phone,
    email: c.email,
    operator_code: c.operatorCode,
    tag: c.tag,
    timezone: c.timezone,
    attributes: attrs,
    created_at: now,
    updated_at: now,
  };
}

/** SQLite: SQLITE_CONSTRAINT_UNIQUE; PostgreSQL: 23505. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown };
  return e?.code === '23505' || (typeof e?.message === 'string' && /UNIQUE constraint failed/i.test(e.message));
}
