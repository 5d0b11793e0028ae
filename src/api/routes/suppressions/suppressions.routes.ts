import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../errors/app-error.ts';
import { SuppressionService } from '../../../services/suppressions.ts';
import type { Suppression } from '../../../store/suppressions.repo.ts';
import type { AppDeps } from '../../deps.ts';
import { ErrorSchema } from '../messages/schemas.ts';
import { RecipientParams } from '../preferences/preferences.routes.ts';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema };
const Source = Type.Union([
  Type.Literal('api'),
  Type.Literal('bounce'),
  Type.Literal('spam'),
  Type.Literal('unsubscribe'),
]);

const SuppressionSchema = Type.Object({
  recipient: Type.String(),
  reason: Type.Union([Type.String(), Type.Null()]),
  source: Type.String({
    description: 'api (added by a person), bounce or spam (a receipt or SMTP reply), unsubscribe (a campaign link)',
  }),
  createdAt: Type.String({ format: 'date-time' }),
});

function view(s: Suppression) {
  return { recipient: s.recipient, reason: s.reason, source: s.source, createdAt: new Date(s.createdAt).toISOString() };
}

/**
 * The suppression list: recipients never sent to. Receipts add hard bounces and spam reports
 * (HERALD_AUTO_SUPPRESS); people add and remove entries here.
 */
export function suppressionRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  const list = new SuppressionService({ store: deps.store, clock: deps.clock });
  return async (app) => {
    app.get(
      '/v1/suppressions',
      {
        config: { scope: 'contacts' },
        schema: {
          tags: ['suppressions'],
          summary: 'The suppression list, newest first',
          querystring: Type.Object({
            source: Type.Optional(Source),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 1024, description: 'nextCursor of the previous page' })),
          }),
          response: {
            200: Type.Object({
              items: Type.Array(SuppressionSchema),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const page = await list.list(req.query.limit ?? 50, req.query.cursor, req.query.source);
        return { items: page.items.map(view), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/suppressions/:recipient',
      {
        config: { scope: 'contacts' },
        schema: {
          tags: ['suppressions'],
          summary: 'One entry of the suppression list',
          params: RecipientParams,
          response: { 200: SuppressionSchema, ...errors },
        },
      },
      async (req) => {
        const s = await list.get(req.params.recipient);
        if (!s) throw new AppError('HERALD_NOT_FOUND', `${req.params.recipient} is not suppressed`);
        return view(s);
      },
    );

    app.post(
      '/v1/suppressions',
      {
        config: { scope: 'contacts', audit: 'suppression.add' },
        schema: {
          tags: ['suppressions'],
          summary: 'Add a recipient to the suppression list',
          description: '201 when added; 200 with the existing entry when already there (its first reason stands).',
          body: Type.Object(
            {
              recipient: Type.String({ minLength: 1, maxLength: 320 }),
              reason: Type.Optional(Type.String({ maxLength: 1000 })),
            },
            { additionalProperties: false },
          ),
          response: { 201: SuppressionSchema, 200: SuppressionSchema, ...errors },
        },
      },
      async (req, reply) => {
        if (!req.body.recipient.trim())
          throw new AppError('HERALD_VALIDATION', 'recipient is required', [
            { path: '/recipient', message: 'is empty' },
          ]);
        const r = await list.add(req.body.recipient, req.body.reason ?? null, 'api');
        return reply.status(r.created ? 201 : 200).send(view(r.entry));
      },
    );

    app.delete(
      '/v1/suppressions/:recipient',
      {
        config: { scope: 'contacts', audit: 'suppression.remove' },
        schema: {
          tags: ['suppressions'],
          summary: 'Remove a recipient from the suppression list',
          params: RecipientParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (req, reply) => {
        if (!(await list.remove(req.params.recipient)))
          throw new AppError('HERALD_NOT_FOUND', `${req.params.recipient} is not suppressed`);
        return reply.status(204).send(null);
      },
    );
  };
}
