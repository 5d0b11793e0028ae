import type { Kysely, Selectable, Updateable } from 'kysely';
import { uuidv7 } from '../domain/ids.ts';
import {
  newSigningSecret,
  ROTATION_OVERLAP_MS,
  type Endpoint,
  type EndpointFilter,
  type EventType,
} from '../events/model.ts';
import type { Database, EndpointsTable } from './schema.ts';

export interface NewEndpoint {
  url: string;
  description?: string | null | undefined;
  events: readonly EventType[];
  filter?: EndpointFilter | null | undefined;
  enabled?: boolean | undefined;
}

export type EndpointPatch = Partial<NewEndpoint>;

function parse<T>(s: string | null): T | null {
  return s == null ? null : (JSON.parse(s) as T);
}

export function endpointFromRow(r: Selectable<EndpointsTable>): Endpoint {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    events: JSON.parse(r.events) as EventType[],
    filter: parse<EndpointFilter>(r.filter),
    enabled: Number(r.enabled) === 1,
    previousSecretUntil: r.previous_until == null ? null : Number(r.previous_until),
    failingSince: r.failing_since == null ? null : Number(r.failing_since),
    disabledReason: r.disabled_reason,
    disabledAt: r.disabled_at == null ? null : Number(r.disabled_at),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** The secrets that sign a delivery now: the current one, and the previous one during its overlap. */
export function signingSecrets(r: Pick<EndpointsTable, 'secret' | 'previous_secret' | 'previous_until'>, now: number) {
  const out = [r.secret];
  if (r.previous_secret && r.previous_until != null && Number(r.previous_until) > now) out.push(r.previous_secret);
  return out;
}

/**
 * Event endpoints (migration 0008): where status events go, what they want, and their signing
 * secrets (kept in clear: an HMAC needs the key; answered once, at creation and rotation).
 */
export class KyselyEndpointRepo {
  private readonly db: Kysely<Database>;
  constructor(db: Kysely<Database>) {
    this.db = db;
  }

  /** Creates an endpoint; answers it with its secret (shown once). */
  async create(input: NewEndpoint, now: number): Promise<{ endpoint: Endpoint; secret: string }> {
    const row: EndpointsTable = {
      id: uuidv7(now),
      url: input.url,
      description: input.description ?? null,
      events: JSON.stringify(input.events),
      filter: input.filter ? JSON.stringify(input.filter) : null,
      enabled: input.enabled === false ? 0 : 1,
      secret: newSigningSecret(),
      previous_secret: null,
      previous_until: null,
      failing_since: null,
      disabled_reason: null,
      disabled_at: null,
      created_at: now,
      updated_at: now,
    };
    await this.db.insertInto('endpoints').values(row).execute();
    return { endpoint: endpointFromRow(row), secret: row.secret };
  }

  async get(id: string): Promise<Endpoint | undefined> {
    const r = await this.db.selectFrom('endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    return r && endpointFromRow(r);
  }

  /** Every endpoint, newest first (an install has tens, not thousands). */
  async list(): Promise<Endpoint[]> {
    const rows = await this.db.selectFrom('endpoints').selectAll().orderBy('id', 'desc').execute();
    return rows.map(endpointFromRow);
  }

  /** Changes the fields given; enabling clears the failure run and the disabled reason. */
  async update(id: string, patch: EndpointPatch, now: number): Promise<Endpoint | undefined> {
    const set: Updateable<EndpointsTable> = { updated_at: now };
    if (patch.url !== undefined) set.url = patch.url;
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.events !== undefined) set.events = JSON.stringify(patch.events);
    if (patch.filter !== undefined) set.filter = patch.filter ? JSON.stringify(patch.filter) : null;
    if (patch.enabled === true)
      Object.assign(set, { enabled: 1, failing_since: null, disabled_reason: null, disabled_at: null });
    if (patch.enabled === false)
      Object.assign(set, { enabled: 0, disabled_reason: 'disabled by an operator', disabled_at: now });
    const r = await this.db.updateTable('endpoints').set(set).where('id', '=', id).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return undefined;
    return this.get(id);
  }

  /** Deletes an endpoint and its deliveries. */
  async delete(id: string): Promise<boolean> {
    await this.db.deleteFrom('event_deliveries').where('endpoint_id', '=', id).execute();
    const r = await this.db.deleteFrom('endpoints').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /**
   * A new secret; the one it replaces keeps signing beside it for ROTATION_OVERLAP_MS (two `v1,`
   * signatures in one header), so receivers can switch without losing an event.
   */
  async rotateSecret(id: string, now: number): Promise<{ endpoint: Endpoint; secret: string } | undefined> {
    const cur = await this.db.selectFrom('endpoints').selectAll().where('id', '=', id).executeTakeFirst();
    if (!cur) return undefined;
    const secret = newSigningSecret();
    await this.db
      .updateTable('endpoints')
      .set({ secret, previous_secret: cur.secret, previous_until: now + ROTATION_OVERLAP_MS, updated_at: now })
      .where('id', '=', id)
      .execute();
    return { endpoint: (await this.get(id))!, secret };
  }

  /** The secrets each endpoint signs with now (see signingSecrets). */
  async secretsFor(ids: readonly string[], now: number): Promise<Map<string, string[]>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db
      .selectFrom('endpoints')
      .select(['id', 'secret', 'previous_secret', 'previous_until'])
      .where('id', 'in', ids)
      .execute();
    return new Map(rows.map((r) => [r.id, signingSecrets(r, now)]));
  }
}
