import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CHANNELS } from '../../../domain/message.ts';
import { MESSAGE_STATES } from '../../../domain/states.ts';
import { BulkMessageService, type BulkKind } from '../../../services/bulk-messages.ts';
import type { MessageFilter } from '../../../store/store.ts';
import { StringEnum } from '../../openapi/schema-kit.ts';
import { actorOf } from '../../plugins/auth.ts';
import type { AppDeps } from '../../deps.ts';
import { ErrorSchema } from './schemas.ts';

/** The list filter of GET /v1/messages, as a JSON body, and `dryRun`. */
const filterFields = {
  state: Type.Optional(StringEnum(MESSAGE_STATES)),
  channel: Type.Optional(StringEnum(CHANNELS)),
  provider: Type.Optional(Type.String({ maxLength: 128 })),
  recipient: Type.Optional(Type.String({ maxLength: 8192, description: 'As the message was sent' })),
  campaignId: Type.Optional(Type.String({ maxLength: 64 })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Created before' })),
  dryRun: Type.Optional(Type.Boolean({ description: 'Only count: change nothing (false)' })),
};
const CancelBody = Type.Object(filterFields, {
  additionalProperties: false,
  examples: [{ campaignId: '…', dryRun: true }],
});
const RetryBody = Type.Object(
  {
    ...filterFields,
    maxAttempts: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100, description: "New budget (each message's provider default)" }),
    ),
  },
  {
    additionalProperties: false,
    examples: [{ state: 'failed', provider: 'sendgrid', since: '2026-11-30T00:00:00Z', dryRun: true }],
  },
);

const BulkOutcomeSchema = Type.Object({
  dryRun: Type.Boolean(),
  matched: Type.Integer({ description: 'Messages matching the filter when the call began' }),
  eligible: Type.Integer({ description: 'Of those, the ones in a state this operation applies to' }),
  changed: Type.Integer({ description: 'Changed by this call (0 for a dry run)' }),
  skipped: Type.Integer({ description: 'matched − changed (dry run: matched − eligible)' }),
  operation: Type.Union([Type.String(), Type.Null()], {
    description: 'Audit entry id, also on each changed message event (`bulk <operation>`); null for a dry run',
  }),
});

function filterOf(b: Static<typeof CancelBody>): MessageFilter {
  return {
    state: b.state,
    channel: b.channel,
    provider: b.provider,
    recipient: b.recipient,
    campaignId: b.campaignId,
    since: b.since ? Date.parse(b.since) : undefined,
    until: b.until ? Date.parse(b.until) : undefined,
  };
}

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema };

/**
 * POST /v1/messages/retry and /v1/messages/cancel: the single-message operations over every message
 * matching the list filter, in short pages (services/bulk-messages.ts). Static paths: `retry` and
 * `cancel` are never message ids (those are UUIDs, and their actions sit one segment deeper).
 */
export function bulkMessageRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  const bulk = new BulkMessageService({
    store: deps.store,
    clock: deps.clock,
    messages: deps.messages,
    onRequeued: () => deps.ingest.notify(),
  });
  const description = (kind: BulkKind) =>
    `Takes the filter of \`GET /v1/messages\` (all optional: an empty filter means every message). ` +
    (kind === 'cancel'
      ? 'Cancels the matching messages that are `queued` (as `POST /v1/messages/{id}/cancel`); others are skipped. '
      : 'Re-queues the matching `failed`, `expired` and `bounced` messages with a fresh attempt budget; others are skipped. ') +
    'With `dryRun: true` only counts. Runs in pages of 500 messages, one short transaction each; only messages ' +
    'created before the call are considered. Audited as `message.bulk_' +
    kind +
    '`.';
  return async (app) => {
    app.post(
      '/v1/messages/retry',
      {
        config: { scope: 'messages:write' },
        schema: {
          tags: ['messages'],
          operationId: 'bulkRetryMessages',
          summary: 'Retry every failed, expired or bounced message matching a filter',
          description: description('retry'),
          body: RetryBody,
          response: { 200: BulkOutcomeSchema, ...errors },
        },
      },
      async (req) =>
        bulk.run('retry', filterOf(req.body), {
          dryRun: req.body.dryRun ?? false,
          maxAttempts: req.body.maxAttempts,
          actor: actorOf(req),
        }),
    );
    app.post(
      '/v1/messages/cancel',
      {
        config: { scope: 'messages:write' },
        schema: {
          tags: ['messages'],
          operationId: 'bulkCancelMessages',
          summary: 'Cancel every queued message matching a filter',
          description: description('cancel'),
          body: CancelBody,
          response: { 200: BulkOutcomeSchema, ...errors },
        },
      },
      async (req) => bulk.run('cancel', filterOf(req.body), { dryRun: req.body.dryRun ?? false, actor: actorOf(req) }),
    );
  };
}
