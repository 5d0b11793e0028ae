import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createKey, revokeKey } from '../../../auth/api-keys.ts';
import { SCOPES } from '../../../auth/scopes.ts';
import { AppError } from '../../../errors/app-error.ts';
import type { ApiKeyRecord } from '../../../store/api-keys.repo.ts';
import type { AppDeps } from '../../deps.ts';
import { actorOf } from '../../plugins/auth.ts';
import { ErrorSchema } from '../messages/schemas.ts';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema };
const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const ScopeSchema = Type.Union(
  SCOPES.map((s) => Type.Literal(s)),
  { description: '`admin` grants everything' },
);

const KeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String({ description: 'The first characters of the secret, to recognise it' }),
  scopes: Type.Array(Type.String()),
  status: Type.Union([Type.Literal('active'), Type.Literal('expired'), Type.Literal('revoked')]),
  environment: Type.Boolean({ description: 'Came from HERALD_API_KEY (revoked when the variable changes)' }),
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.Union([Type.String(), Type.Null()], { description: 'Id of the key that created it' }),
  lastUsedAt: Type.Union([Time], { description: 'Updated at most every 10 s per process' }),
  expiresAt: Time,
  revokedAt: Time,
});

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

export function keyView(k: ApiKeyRecord, now: number) {
  const status: 'active' | 'expired' | 'revoked' =
    k.revokedAt !== null ? 'revoked' : k.expiresAt !== null && k.expiresAt <= now ? 'expired' : 'active';
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    status,
    environment: k.env,
    createdAt: new Date(k.createdAt).toISOString(),
    createdBy: k.createdBy,
    lastUsedAt: iso(k.lastUsedAt),
    expiresAt: iso(k.expiresAt),
    revokedAt: iso(k.revokedAt),
  };
}

/** API keys: create (the secret is answered once), list, read, revoke. Admin keys only. */
export function keyRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/v1/keys',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['keys'],
          summary: 'Create an API key',
          description:
            'Answers the secret once (`secret`): Herald keeps only its SHA-256 hash. Recorded in the audit log.',
          body: Type.Object(
            {
              name: Type.String({ minLength: 1, maxLength: 100 }),
              scopes: Type.Array(ScopeSchema, { minItems: 1, uniqueItems: true }),
              expiresAt: Type.Optional(Type.String({ format: 'date-time', description: 'Default: never' })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ key: KeySchema, secret: Type.String() }), ...errors },
        },
      },
      async (req, reply) => {
        const now = deps.clock.now();
        const expiresAt = req.body.expiresAt === undefined ? null : Date.parse(req.body.expiresAt);
        if (expiresAt !== null && expiresAt <= now)
          throw new AppError('HERALD_VALIDATION', 'expiresAt must be in the future', [
            { path: '/expiresAt', message: 'must be in the future' },
          ]);
        const name = req.body.name.trim();
        if (!name)
          throw new AppError('HERALD_VALIDATION', 'name must not be blank', [{ path: '/name', message: 'is blank' }]);
        const made = await createKey(deps.store, { name, scopes: req.body.scopes, expiresAt }, actorOf(req), now);
        return reply.status(201).send({ key: keyView(made.key, now), secret: made.secret });
      },
    );

    app.get(
      '/v1/keys',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['keys'],
          summary: 'API keys, newest first',
          querystring: Type.Object({
            includeRevoked: Type.Optional(Type.Boolean({ default: false })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            cursor: Type.Optional(Type.String({ maxLength: 100 })),
          }),
          response: {
            200: Type.Object({ items: Type.Array(KeySchema), nextCursor: Type.Union([Type.String(), Type.Null()]) }),
            ...errors,
          },
        },
      },
      async (req) => {
        const q = req.query;
        const page = await deps.store.apiKeys.list({
          limit: q.limit ?? 100,
          cursor: q.cursor,
          includeRevoked: q.includeRevoked ?? false,
        });
        const now = deps.clock.now();
        return { items: page.items.map((k) => keyView(k, now)), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/keys/:id',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['keys'],
          summary: 'One API key',
          params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
          response: { 200: KeySchema, ...errors },
        },
      },
      async (req) => {
        const k = await deps.store.apiKeys.get(req.params.id);
        if (!k) throw new AppError('HERALD_NOT_FOUND', `No API key ${req.params.id}`);
        return keyView(k, deps.clock.now());
      },
    );

    app.delete(
      '/v1/keys/:id',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['keys'],
          summary: 'Revoke an API key',
          description:
            'The key stops working at once on this process and within 10 s on others. Revoking a revoked key ' +
            'changes nothing. Recorded in the audit log.',
          params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
          response: { 200: KeySchema, ...errors },
        },
      },
      async (req) => {
        const now = deps.clock.now();
        const r = await revokeKey(deps.store, req.params.id, actorOf(req), now);
        if (!r) throw new AppError('HERALD_NOT_FOUND', `No API key ${req.params.id}`);
        app.access.invalidate(r.key.id);
        return keyView(r.key, now);
      },
    );
  };
}
