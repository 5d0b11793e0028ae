import type { Kysely, Selectable } from 'kysely';
import { uuidv7 } from '../domain/ids.ts';
import type { AuditLogTable, Database } from './schema.ts';
import type { Page } from './store.ts';

/** The audit log is kept at least this long, whatever retention asks (purges never go nearer). */
export const AUDIT_MIN_RETENTION_MS = 90 * 24 * 3_600_000;

/** Who acted: an API key (id and name), or a named operator tool (the CLI: id null). */
export interface Actor {
  id: string | null;
  name: string;
  /** Client address (the API request's IP; `cli` for the command line). */
  address?: string | null | undefined;
}

/** One audited action, as recorded. `action` is `<object>.<verb>`, e.g. `key.create`, `campaign.cancel`. */
export interface AuditEntry {
  actor: Actor;
  action: string;
  objectType: string;
  objectId?: string | null | undefined;
  /** What changed (field names, counts, filters); never secrets. Stored as JSON. */
  detail?: Record<string, unknown> | undefined;
}

export interface AuditRecord {
  id: string;
  at: number;
  actor: { id: string | null; name: string };
  action: string;
  objectType: string;
  objectId: string | null;
  address: string | null;
  detail: Record<string, unknown> | null;
}

export interface AuditFilter {
  /** A key id or a key name. */
  actor?: string | undefined;
  /** `campaign.cancel` (exact) or `campaign` (every campaign action). */
  action?: string | undefined;
  /** At or after (ms). */
  since?: number | undefined;
  /** Before (ms). */
  until?: number | undefined;
}

/**
 * The audit log (table audit_log, migration 0006). `record` writes through whatever store it was
 * reached from, so `tx.audit.record(…)` inside `store.transaction` commits with the change it
 * describes, or not at all.
 */
export interface AuditRepo {
  record(entry: AuditEntry, at: number): Promise<AuditRecord>;
  /** Newest first, keyset-paginated on id (UUIDv7: time order). */
  list(filter: AuditFilter, limit: number, cursor?: string): Promise<Page<AuditRecord>>;
  /**
   * Deletes entries older than `before` (ms), but never any younger than AUDIT_MIN_RETENTION_MS
   * before `now`. Returns how many went.
   */
  purgeOlderThan(before: number, now: number): Promise<number>;
}

function view(r: Selectable<AuditLogTable>): AuditRecord {
  return {
    id: r.id,
    at: Number(r.at),
    actor: { id: r.actor_id, name: r.actor_name },
    action: r.action,
    objectType: r.object_type,
    objectId: r.object_id,
    address: r.address,
    detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : null,
  };
}

export class KyselyAuditRepo implements AuditRepo {
  private readonly db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  async record(entry: AuditEntry, at: number): Promise<AuditRecord> {
    const row: Selectable<AuditLogTable> = {
      id: uuidv7(at),
      at,
      actor_id: entry.actor.id,
      actor_name: entry.actor.name,
      action: entry.action,
      object_type: entry.objectType,
      object_id: entry.objectId ?? null,
      address: entry.actor.address ?? null,
      detail: entry.detail === undefined ? null : JSON.stringify(entry.detail),
    };
    await this.db.insertInto('audit_log').values(row).execute();
    return view(row);
  }

  async list(filter: AuditFilter, limit: number, cursor?: string): Promise<Page<AuditRecord>> {
    let q = this.db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (cursor) q = q.where('id', '<', cursor);
    const { actor, action, since, until } = filter;
    if (actor) q = q.where((eb) => eb.or([eb('actor_id', '=', actor), eb('actor_name', '=', actor)]));
    if (action) q = action.includes('.') ? q.where('action', '=', action) : q.where('action', 'like', `${action}.%`);
    if (since !== undefined) q = q.where('at', '>=', since);
    if (until !== undefined) q = q.where('at', '<', until);
    const rows = await q.execute();
    const items = rows.slice(0, limit).map(view);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
  }

  async purgeOlderThan(before: number, now: number): Promise<number> {
    const cutoff = Math.min(before, now - AUDIT_MIN_RETENTION_MS);
    const r = await this.db.deleteFrom('audit_log').where('at', '<', cutoff).executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
