import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../errors/app-error.ts';
import type { AuditRecord } from '../../../store/audit.repo.ts';
import type { AppDeps } from '../../deps.ts';
import { ErrorSchema } from '../messages/schemas.ts';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema };

const EntrySchema = Type.Object({
  id: Type.String(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.Object({
    id: Type.Union([Type.String(), Type.Null()], { description: 'API key id (null: environment or CLI)' }),
    name: Type.String(),
  }),
  action: Type.String({ description: '`<object>.<verb>`, e.g. key.revoke, campaign.cancel, suppression.add' }),
  objectType: Type.String(),
  objectId: Type.Union([Type.String(), Type.Null()]),
  address: Type.Union([Type.String(), Type.Null()], { description: 'Client address, `cli` or `environment`' }),
  detail: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
});

function view(e: AuditRecord) {
  return { ...e, at: new Date(e.at).toISOString() };
}

/** GET /v1/audit: the audit log, newest first, for admin keys. */
export function auditRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/v1/audit',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['audit'],
          summary: 'The audit log, newest first',
          description:
            'Who (API key id and name) did what to which object, when and from which address: key changes, ' +
            'campaign changes, bulk operations, suppression and preference edits. Kept at least 90 days.',
          querystring: Type.Object({
            actor: Type.Optional(Type.String({ maxLength: 200, description: 'A key id or a key name' })),
            action: Type.Optional(
              Type.String({ maxLength: 100, description: '`campaign.cancel` exactly, or `campaign` for all of its' }),
            ),
            since: Type.Optional(Type.String({ format: 'date-time' })),
            until: Type.Optional(Type.String({ format: 'date-time' })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 100, description: 'nextCursor of the previous page' })),
          }),
          response: {
            200: Type.Object({ items: Type.Array(EntrySchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
            ...errors,
          },
        },
      },
      async (req) => {
        const q = req.query;
        const since = q.since === undefined ? undefined : Date.parse(q.since);
        const until = q.until === undefined ? undefined : Date.parse(q.until);
        if (since !== undefined && until !== undefined && !(since < until))
          throw new AppError('HERALD_VALIDATION', 'since must be before until');
        const page = await deps.store.audit.list(
          { actor: q.actor, action: q.action, since, until },
          q.limit ?? 50,
          q.cursor,
        );
        return { items: page.items.map(view), nextCursor: page.nextCursor };
      },
    );
  };
}
