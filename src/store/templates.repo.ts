import type { Kysely, Selectable } from 'kysely';
import { uuidv7 } from '../domain/ids.ts';
import type { Channel } from '../domain/message.ts';
import type { Template, TemplateVariant, TemplateVersion } from '../templates/model.ts';
import type { Database, TemplatesTable, TemplateVersionsTable } from './schema.ts';
import type { Page } from './store.ts';

/** A template's fields as the service hands them to the store. */
export interface NewTemplate {
  name: string;
  channel: Channel;
  description: string | null;
  defaultLocale: string;
  variants: Record<string, TemplateVariant>;
}

export type AddVersionResult = { kind: 'added'; version: TemplateVersion } | { kind: 'not_found' };

/** Stored templates and their immutable versions (migration 0007). */
export interface TemplateRepo {
  /** Inserts the template with version 1; `conflict` when the name is taken. */
  insert(t: NewTemplate, now: number): Promise<{ kind: 'created'; template: Template } | { kind: 'conflict' }>;
  /** By id, or else by name. */
  find(idOrName: string): Promise<Template | undefined>;
  /** By name, newest first; keyset on id. */
  list(limit: number, cursor?: string): Promise<Page<Template>>;
  version(templateId: string, version: number): Promise<TemplateVersion | undefined>;
  /** Every version, newest first. */
  versions(templateId: string): Promise<TemplateVersion[]>;
  /** Writes version latest+1 and moves `latest`, in one transaction. */
  addVersion(
    templateId: string,
    v: Pick<TemplateVersion, 'defaultLocale' | 'variants'>,
    now: number,
  ): Promise<AddVersionResult>;
  /** Deletes the template and its versions. */
  delete(templateId: string): Promise<boolean>;
  /** Ids of scheduled, running or paused campaigns that render this template. */
  liveCampaigns(templateId: string): Promise<string[]>;
}

function templateFromRow(r: Selectable<TemplatesTable>): Template {
  return {
    id: r.id,
    name: r.name,
    channel: r.channel as Channel,
    description: r.description,
    latest: Number(r.latest),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function versionFromRow(r: Selectable<TemplateVersionsTable>): TemplateVersion {
  return {
    templateId: r.template_id,
    version: Number(r.version),
    defaultLocale: r.default_locale,
    variants: JSON.parse(r.variants) as Record<string, TemplateVariant>,
    createdAt: Number(r.created_at),
  };
}

export class KyselyTemplateRepo implements TemplateRepo {
  private readonly db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  private inTx<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.db.isTransaction ? fn(this.db) : this.db.transaction().execute(fn);
  }

  insert(t: NewTemplate, now: number): Promise<{ kind: 'created'; template: Template } | { kind: 'conflict' }> {
    return this.inTx(async (db) => {
      const taken = await db.selectFrom('templates').select('id').where('name', '=', t.name).executeTakeFirst();
      if (taken) return { kind: 'conflict' as const };
      const row: TemplatesTable = {
        id: uuidv7(now),
        name: t.name,
        channel: t.channel,
        description: t.description,
        latest: 1,
        created_at: now,
        updated_at: now,
      };
      await db.insertInto('templates').values(row).execute();
      await db
        .insertInto('template_versions')
        .values({
          template_id: row.id,
          version: 1,
          default_locale: t.defaultLocale,
          variants: JSON.stringify(t.variants),
          created_at: now,
        })
        .execute();
      return { kind: 'created' as const, template: templateFromRow(row) };
    });
  }

  async find(idOrName: string): Promise<Template | undefined> {
    const r =
      (await this.db.selectFrom('templates').selectAll().where('id', '=', idOrName).executeTakeFirst()) ??
      (await this.db.selectFrom('templates').selectAll().where('name', '=', idOrName).executeTakeFirst());
    return r && templateFromRow(r);
  }

  async list(limit: number, cursor?: string): Promise<Page<Template>> {
    let q = this.db.selectFrom('templates').selectAll();
    if (cursor) q = q.where('id', '<', cursor);
    const rows = await q
      .orderBy('id', 'desc')
      .limit(limit + 1)
      .execute();
    const items = rows.slice(0, limit).map(templateFromRow);
    return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
  }

  async version(templateId: string, version: number): Promise<TemplateVersion | undefined> {
    const r = await this.db
      .selectFrom('template_versions')
      .selectAll()
      .where('template_id', '=', templateId)
      .where('version', '=', version)
      .executeTakeFirst();
    return r && versionFromRow(r);
  }

  async versions(templateId: string): Promise<TemplateVersion[]> {
    const rows = await this.db
      .selectFrom('template_versions')
      .selectAll()
      .where('template_id', '=', templateId)
      .orderBy('version', 'desc')
      .execute();
    return rows.map(versionFromRow);
  }

  addVersion(
    templateId: string,
    v: Pick<TemplateVersion, 'defaultLocale' | 'variants'>,
    now: number,
  ): Promise<AddVersionResult> {
    return this.inTx(async (db) => {
      // The guarded increment serialises concurrent writers (PostgreSQL locks the row).
      const t = await db
        .updateTable('templates')
        .set((eb) => ({ latest: eb('latest', '+', 1), updated_at: now }))
        .where('id', '=', templateId)
        .returning('latest')
        .executeTakeFirst();
      if (!t) return { kind: 'not_found' as const };
      const row: TemplateVersionsTable = {
        template_id: templateId,
        version: Number(t.latest),
        default_locale: v.defaultLocale,
        variants: JSON.stringify(v.variants),
        created_at: now,
      };
      await db.insertInto('template_versions').values(row).execute();
      return { kind: 'added' as const, version: versionFromRow(row) };
    });
  }

  delete(templateId: string): Promise<boolean> {
    return this.inTx(async (db) => {
      await db.deleteFrom('template_versions').where('template_id', '=', templateId).execute();
      const r = await db.deleteFrom('templates').where('id', '=', templateId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  async liveCampaigns(templateId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('campaigns')
      .select('id')
      .where('template_id', '=', templateId)
      .where('state', 'in', ['scheduled', 'running', 'paused'])
      .execute();
    return rows.map((r) => r.id);
  }
}
