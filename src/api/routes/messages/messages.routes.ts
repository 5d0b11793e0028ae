import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ChangeResult, InsertResult } from '../../../store/store.ts';
import { AppError, coerceError } from '../../../errors/app-error.ts';
import { useJsonParser } from '../../plugins/json-body.ts';
import type { AppDeps } from '../../deps.ts';
import {
  AcceptedSchema,
  batchInputSchema,
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

/** The message after cancel or retry (both throw for an unknown id). */
function changed(r: ChangeResult) {
  if (r.kind === 'not_found') throw new AppError('HERALD_NOT_FOUND');
  return messageView(r.message);
}

/** The 202's body (status set here); a repeated Idempotency-Key says so in a header. */
function accepted(reply: FastifyReply, r: InsertResult): { id: string; state: string } {
  if (r.kind === 'existing') reply.header('idempotent-replayed', 'true');
  reply.status(202);
  return { id: r.id, state: r.state };
}

/** A rejection outside an async handler: to the error handler, as a throw would go. */
function failed(reply: FastifyReply, err: unknown): void {
  reply.send(coerceError(err));
}

/** A single message that names a template: rendered first (the template service reads the store). */
async function acceptTemplated(
  deps: AppDeps,
  body: Static<typeof MessageInputSchema>,
  key: string | undefined,
  reply: FastifyReply,
): Promise<{ id: string; state: string }> {
  const msgs = deps.messages.compose(await deps.templates!.applyToInputs([body]));
  const [r] = await deps.messages.accept(msgs, key ? { key, body } : undefined);
  return accepted(reply, r!);
}

/** The native message API: accept, batch, read, list, cancel, retry. */
export function messageRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/v1/messages',
      {
        config: { scope: 'messages:write' },
        schema: {
          tags: ['messages'],
          operationId: 'createMessage',
          summary: 'Accept one message',
          description:
            'Answers 202 after the message is committed. A repeated Idempotency-Key returns the first message.',
          headers: IdempotencyHeaders,
          body: MessageInputSchema,
          response: { 202: AcceptedSchema, 200: AcceptedSchema, ...errors },
        },
      },
      // Callback style for the common case (no template): no async function and no promise for Fastify
      // to wrap per request. A throw (validation) and a rejection (commit) both reach the error handler.
      (req, reply) => {
        const key = req.headers['idempotency-key'];
        if (req.body.template !== undefined) return acceptTemplated(deps, req.body, key, reply);
        const msgs = deps.messages.compose([req.body]);
        deps.messages
          .accept(msgs, key ? { key, body: req.body } : undefined)
          .then((results) => void reply.send(accepted(reply, results[0]!)))
          .catch((err: unknown) => void failed(reply, err));
      },
    );

    app.post(
      '/v1/messages/batch',
      {
        config: { scope: 'messages:write' },
        schema: {
          tags: ['messages'],
          operationId: 'createMessageBatch',
          summary: `Accept up to ${MAX_BATCH} messages in one transaction`,
          description: 'All-or-nothing validation: one bad message rejects the whole request. Ids come back in order.',
          body: batchInputSchema(MAX_BATCH),
          response: { 202: Type.Object({ ids: Type.Array(Type.String()), count: Type.Integer() }), ...errors },
        },
      },
      async (req, reply) => {
        const inputs = await deps.templates!.applyToInputs(req.body.messages, '/messages');
        const msgs = deps.messages.compose(inputs, '/messages');
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
          operationId: 'getMessage',
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
          operationId: 'listMessages',
          summary: 'List messages, newest first',
          description:
            'Filter by state, channel, provider, recipient (exact, prefix or substring), provider message id, campaign ' +
            'and creation time; follow nextCursor for the next page.',
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
            recipientPrefix: q.recipientPrefix,
            recipientContains: q.recipientContains,
            providerMessageId: q.providerMessageId,
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

    // Cancel and retry take no body, an empty one (even with a JSON content type) or a JSON object.
    await app.register(async (scope) => {
      const actions = scope.withTypeProvider<TypeBoxTypeProvider>();
      useJsonParser(scope, { allowEmpty: true });
      actions.addHook('preValidation', async (req) => {
        req.body ??= {};
      });
      actions.post(
        '/v1/messages/:id/cancel',
        {
          config: { scope: 'messages:write', audit: 'message.cancel' },
          schema: {
            tags: ['messages'],
            operationId: 'cancelMessage',
            summary: 'Cancel a queued message',
            description:
              'Only while the message is `queued`: once a provider may have it (`sending`, `sent`, …) the answer is 409 ' +
              '`HERALD_INVALID_STATE`. The body is optional.',
            'x-optional-body': true,
            params: IdParams,
            body: Type.Object({}, { additionalProperties: false }),
            response: { 200: MessageSchema, ...errors },
          },
        },
        async (req) => changed(await deps.messages.cancel(req.params.id)),
      );
      actions.post(
        '/v1/messages/:id/retry',
        {
          config: { scope: 'messages:write', audit: 'message.retry' },
          schema: {
            tags: ['messages'],
            operationId: 'retryMessage',
            summary: 'Re-queue a failed, expired or bounced message with a fresh attempt budget',
            description: 'Any other state is 409 `HERALD_INVALID_STATE`. The body is optional.',
            'x-optional-body': true,
            params: IdParams,
            body: Type.Object(
              { maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'New budget' })) },
              { additionalProperties: false },
            ),
            response: { 200: MessageSchema, ...errors },
          },
        },
        async (req) => changed(await deps.messages.retry(req.params.id, req.body.maxAttempts)),
      );
    });
  };
}
