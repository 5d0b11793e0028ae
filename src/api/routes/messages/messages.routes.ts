import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../errors/app-error.ts';
import type { AppDeps } from '../../deps.ts';
import {
  AcceptedSchema,
  ErrorSchema,
  IdempotencyHeaders,
  IdParams,
  ListQuery,
  MessageDetailSchema,
  MessageInputSchema,
  MessageSchema,
} from './schemas.ts';
import { messageDetailView, messageView } from './views.ts';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };
export const MAX_BATCH = 1000;

/** The native message API: accept, batch, read, list, cancel, retry. */
export function messageRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/v1/messages',
      {
        config: { scope: 'messages:write' },
        schema: {
          tags: ['messages'],
          summary: 'Accept one message',
          description:
            'Answers 202 after the message is committed. A repeated Idempotency-Key returns the first message.',
          headers: IdempotencyHeaders,
          body: MessageInputSchema,
          response: { 202: AcceptedSchema, 200: AcceptedSchema, ...errors },
        },
      },
      async (req, reply) => {
        const msgs = deps.messages.compose([req.body]);
        const key = req.headers['idempotency-key'];
        const [r] = await deps.messages.accept(msgs, key ? { key, body: req.body } : undefined);
        if (r!.kind === 'existing') reply.header('idempotent-replayed', 'true');
        return reply.status(202).send({ id: r!.id, state: r!.state });
      },
    );

    app.post(
      '/v1/messages/batch',
      {
        config: { scope: 'messages:write' },
        schema: {
          tags: ['messages'],
          summary: `Accept up to ${MAX_BATCH} messages in one transaction`,
          description: 'All-or-nothing validation: one bad message rejects the whole request. Ids come back in order.',
          body: Type.Object(
            { messages: Type.Array(MessageInputSchema, { minItems: 1, maxItems: MAX_BATCH }) },
            { additionalProperties: false },
          ),
          response: { 202: Type.Object({ ids: Type.Array(Type.String()), count: Type.Integer() }), ...errors },
        },
      },
      async (req, reply) => {
        const msgs = deps.messages.compose(req.body.messages, '/messages');
        const results = await deps.messages.accept(msgs);
        return reply.status(202).send({ ids: results.map((r) => r.id), count: results.length });
      },
    );

    app.get(
      '/v1/messages/:id',
      {
        config: { scope: 'messages:read' },
        schema: {
          tags: ['messages'],
          summary: 'A message with its attempts and events',
          params: IdParams,
          response: { 200: MessageDetailSchema, ...errors },
        },
      },
      async (req) => {
        const d = await deps.store.messages.detail(req.params.id);
        if (!d) throw new AppError('HERALD_NOT_FOUND', `No message ${req.params.id}`);
        return messageDetailView(d);
      },
    );

    app.get(
      '/v1/messages',
      {
        config: { scope: 'messages:read' },
        schema: {
          tags: ['messages'],
          summary: 'List messages, newest first',
          description:
            'Filter by state, channel, provider, recipient, campaign and creation time; follow nextCursor for the next page.',
          querystring: ListQuery,
          response: {
            200: Type.Object({
              items: Type.Array(MessageSchema),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const q = req.query;
        const page = await deps.store.messages.list(
          {
            state: q.state,
            channel: q.channel,
            provider: q.provider,
            recipient: q.recipient,
            campaignId: q.campaignId,
            since: q.since ? Date.parse(q.since) : undefined,
            until: q.until ? Date.parse(q.until) : undefined,
          },
          q.limit ?? 50,
          q.cursor,
        );
        return { items: page.items.map(messageView), nextCursor: page.nextCursor };
      },
    );

    app.post(
      '/v1/messages/:id/cancel',
      {
        config: { scope: 'messages:write', audit: 'message.cancel' },
        schema: {
          tags: ['messages'],
          summary: 'Cancel a message that is not yet final',
          params: IdParams,
          response: { 200: MessageSchema, ...errors },
        },
      },
      async (req) => {
        const r = await deps.messages.cancel(req.params.id);
        if (r.kind === 'not_found') throw new AppError('HERALD_NOT_FOUND');
        return messageView(r.message);
      },
    );

    app.post(
      '/v1/messages/:id/retry',
      {
        config: { scope: 'messages:write', audit: 'message.retry' },
        schema: {
          tags: ['messages'],
          summary: 'Re-queue a failed, expired or bounced message with a fresh attempt budget',
          params: IdParams,
          body: Type.Optional(
            Type.Object(
              { maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })) },
              { additionalProperties: false },
            ),
          ),
          response: { 200: MessageSchema, ...errors },
        },
      },
      async (req) => {
        const r = await deps.messages.retry(req.params.id, req.body?.maxAttempts);
        if (r.kind === 'not_found') throw new AppError('HERALD_NOT_FOUND');
        return messageView(r.message);
      },
    );
  };
}
