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

/** Attributes are parsed on first read: a fan-out whose template does not use them never pays for it. */
export function contactFromRow(r: Selectable<ContactsTable>): Contact {
  const c = {
    id: r.id,
    phone: r.phone,
    email: r.email,
    operatorCode: r.operator_code,
    tag: r.tag,
    timezone: r.timezone,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  } as Contact;
  let attributes: Record<string, unknown> | undefined;
  Object.defineProperty(c, 'attributes', {
    enumerable: true,
    configurable: true,
    get: () => (attributes ??= r.attributes ? (JSON.parse(r.attributes) as Record<string, unknown>) : {}),
    set: (v: Record<string, unknown>) => (attributes = v),
  });
  return c;
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

  async list(filter: ContactFilter, limit: number, cursor?: string): Promise<Page<Contact>> {
    let q = whereContacts(this.db.selectFrom('contacts').selectAll(), filter);
    if (cursor) q = q.where('id', '>', cursor);
    const rows = await q
      .orderBy('id')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(contactFromRow);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
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
