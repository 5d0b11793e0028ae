import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../errors/app-error.ts';
import { EVENT_TYPES, type Endpoint } from '../../../events/model.ts';
import { resolveCallbackSecret } from '../../../events/engine.ts';
import { TargetGuard } from '../../../providers/webhook/guard.ts';
import type { DeliveryRecord } from '../../../store/event-deliveries.repo.ts';
import type { AppDeps } from '../../deps.ts';
import { StringEnum } from '../../openapi/schema-kit.ts';
import { actorOf } from '../../plugins/auth.ts';
import { ErrorSchema } from '../messages/schemas.ts';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema };
const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

const FilterSchema = Type.Object(
  {
    channel: Type.Optional(StringEnum(['email', 'sms', 'webhook'])),
    provider: Type.Optional(Type.String({ maxLength: 128 })),
    campaignId: Type.Optional(Type.String({ maxLength: 100 })),
    metadata: Type.Optional(
      Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 1000 }), {
        description: 'Each key must equal the message metadata value',
      }),
    ),
  },
  { additionalProperties: false, description: 'Only events of messages matching every field given' },
);

const EndpointSchema = Type.Object(
  {
    id: Type.String(),
    url: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    events: Type.Array(Type.String()),
    filter: Type.Union([FilterSchema, Type.Null()]),
    enabled: Type.Boolean(),
    disabledReason: Type.Union([Type.String(), Type.Null()], {
      description: 'Why it is disabled: by an operator, or by Herald after 5 days of failures',
    }),
    disabledAt: Time,
    failingSince: Type.Union([Time], { description: 'First failure of the current run of failures' }),
    previousSecretValidUntil: Type.Union([Time], {
      description: 'After a rotation, the old secret signs beside the new one until then',
    }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Endpoint' },
);

const AttemptSchema = Type.Object({
  number: Type.Integer(),
  startedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Integer(),
  outcome: Type.String({ description: 'ok, transient or permanent' }),
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  response: Type.Union([Type.String(), Type.Null()], { description: 'The answer, capped at 2 KiB' }),
  error: Type.Union([Type.String(), Type.Null()]),
});

const DeliverySchema = Type.Object({
  id: Type.String(),
  eventId: Type.String({ description: 'The webhook-id header: the same on retries and replays' }),
  type: Type.String(),
  messageId: Type.Union([Type.String(), Type.Null()]),
  state: StringEnum(['queued', 'sending', 'delivered', 'failed']),
  reason: Type.Union([Type.String(), Type.Null()]),
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  nextAttemptAt: Time,
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  replayOf: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  payload: Type.Unknown({ description: 'The event as sent: {type, timestamp, data}' }),
  attemptLog: Type.Array(AttemptSchema),
});

function endpointView(e: Endpoint, now: number) {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: e.events,
    filter: e.filter,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    disabledAt: iso(e.disabledAt),
    failingSince: iso(e.failingSince),
    previousSecretValidUntil:
      e.previousSecretUntil !== null && e.previousSecretUntil > now ? iso(e.previousSecretUntil) : null,
    createdAt: new Date(e.createdAt).toISOString(),
    updatedAt: new Date(e.updatedAt).toISOString(),
  };
}

function deliveryView(d: DeliveryRecord) {
  return {
    id: d.id,
    eventId: d.eventId,
    type: d.type,
    messageId: d.messageId,
    state: d.state,
    reason: d.reason,
    attempts: d.attempts,
    maxAttempts: d.maxAttempts,
    nextAttemptAt: d.state === 'queued' ? new Date(d.dueAt).toISOString() : null,
    statusCode: d.statusCode,
    replayOf: d.replayOf,
    createdAt: new Date(d.createdAt).toISOString(),
    updatedAt: new Date(d.updatedAt).toISOString(),
    payload: d.payload,
    attemptLog: d.attemptLog.map((a) => ({
      ...a,
      startedAt: new Date(a.startedAt).toISOString(),
      durationMs: Math.round(a.durationMs),
    })),
  };
}

const EventsSchema = Type.Array(StringEnum(EVENT_TYPES), { minItems: 1, uniqueItems: true });
const Params = Type.Object({ id: Type.String({ maxLength: 100 }) });

/**
 * Event endpoints (issue 13, docs/events.md): where Herald sends signed status events. Creation,
 * changes, rotation and deletion are audited in their own transaction. Scope `endpoints`.
 */
export function endpointRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  const guard = new TargetGuard(deps.config.network);
  const checkUrl = (raw: string) => {
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      throw new AppError('HERALD_VALIDATION', 'url must be an http or https URL', [
        { path: '/url', message: 'must be an http or https URL' },
      ]);
    const blocked = guard.checkLiteral(url);
    if (blocked) throw new AppError('HERALD_VALIDATION', blocked.message, [{ path: '/url', message: blocked.message }]);
  };
  const notFound = (id: string) => new AppError('HERALD_NOT_FOUND', `No endpoint ${id}`);
  const maxAttempts = deps.config.worker.retry.maxAttempts;

  return async (app) => {
    app.post(
      '/v1/endpoints',
      {
        config: { scope: 'endpoints' },
        schema: {
          tags: ['endpoints'],
          operationId: 'createEndpoint',
          summary: 'Create an event endpoint',
          description:
            'Answers the signing secret (`whsec_…`) once. Events of the listed types go to `url`, signed per ' +
            'Standard Webhooks. Recorded in the audit log.',
          body: Type.Object(
            {
              url: Type.String({ maxLength: 2048 }),
              description: Type.Optional(Type.String({ maxLength: 500 })),
              events: EventsSchema,
              filter: Type.Optional(FilterSchema),
              enabled: Type.Optional(Type.Boolean({ default: true })),
            },
            { additionalProperties: false },
          ),
          response: { 201: Type.Object({ endpoint: EndpointSchema, secret: Type.String() }), ...errors },
        },
      },
      async (req, reply) => {
        checkUrl(req.body.url);
        const now = deps.clock.now();
        const made = await deps.store.transaction(async (tx) => {
          const r = await tx.endpoints.create({ ...req.body, events: req.body.events }, now);
          await tx.audit.record(
            {
              actor: actorOf(req),
              action: 'endpoint.create',
              objectType: 'endpoint',
              objectId: r.endpoint.id,
              detail: { url: r.endpoint.url, events: r.endpoint.events },
            },
            now,
          );
          return r;
        });
        return reply.status(201).send({ endpoint: endpointView(made.endpoint, now), secret: made.secret });
      },
    );

    app.get(
      '/v1/endpoints',
      {
        config: { scope: 'endpoints' },
        schema: {
          tags: ['endpoints'],
          operationId: 'listEndpoints',
          summary: 'Event endpoints, newest first',
          response: { 200: Type.Object({ items: Type.Array(EndpointSchema) }), ...errors },
        },
      },
      async () => {
        const now = deps.clock.now();
        return { items: (await deps.store.endpoints.list()).map((e) => endpointView(e, now)) };
      },
    );

    app.get(
      '/v1/endpoints/callback-secret',
      {
        config: { scope: 'admin' },
        schema: {
          tags: ['endpoints'],
          operationId: 'getCallbackSecret',
          summary: 'The secret that signs per-message callbacks',
          description:
            '`HERALD_CALLBACK_SECRET`, or the one Herald generated at its first start. Admin keys only; reading ' +
            'it is recorded in the audit log.',
          response: { 200: Type.Object({ secret: Type.String() }), ...errors },
        },
      },
      async (req) => {
        const now = deps.clock.now();
        const secret = await resolveCallbackSecret(deps.config, deps.store, now);
        await deps.store.audit.record(
          { actor: actorOf(req), action: 'endpoint.read_callback_secret', objectType: 'endpoint' },
          now,
        );
        return { secret };
      },
    );

    app.get(
      '/v1/endpoints/:id',
      {
        config: { scope: 'endpoints' },
        schema: {
          tags: ['endpoints'],
          operationId: 'getEndpoint',
          summary: 'One event endpoint',
          params: Params,
          response: { 200: EndpointSchema, ...errors },
        },
      },
      async (req) => {
        const e = await deps.store.endpoints.get(req.params.id);
        if (!e) throw notFound(req.params.id);
        return endpointView(e, deps.clock.now());
      },
    );

    app.patch(
      '/v1/endpoints/:id',
      {
        config: { scope: 'endpoints' },
        schema: {
          tags: ['endpoints'],
          operationId: 'updateEndpoint',
          summary: 'Change an event endpoint',
          description:
            'Changes the fields given. `enabled: true` re-enables a disabled endpoint (its queued deliveries go ' +
            'out again); `enabled: false` holds them. Recorded in the audit log.',
          params: Params,
          body: Type.Object(
            {
              url: Type.Optional(Type.String({ maxLength: 2048 })),
              description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
              events: Type.Optional(EventsSchema),
              filter: Type.Optional(Type.Union([FilterSchema, Type.Null()])),
              enabled: Type.Optional(Type.Boolean()),
            },
            { additionalProperties: false, minProperties: 1 },
          ),
          response: { 200: EndpointSchema, ...errors },
        },
      },
      async (req) => {
        if (req.body.url !== undefined) checkUrl(req.body.url);
        const now = deps.clock.now();
        const e = await deps.store.transaction(async (tx) => {
          const r = await tx.endpoints.update(req.params.id, { ...req.body, events: req.body.events }, now);
          if (!r) return undefined;
          await tx.audit.record(
            {
              actor: actorOf(req),
              action: 'endpoint.update',
              objectType: 'endpoint',
              objectId: r.id,
              detail: { fields: Object.keys(req.body), enabled: r.enabled },
            },
            now,
          );
          return r;
        });
        if (!e) throw notFound(req.params.id);
        return endpointView(e, now);
      },
    );

    app.delete(
      '/v1/endpoints/:id',
      {
        config: { scope: 'endpoints' },
        schema: {
          tags: ['endpoints'],
          operationId: 'deleteEndpoint',
          summary: 'Delete an event endpoint',
          description: 'Deletes it with its deliveries (queued ones are not sent). Recorded in the audit log.',
          params: Params,
          response: { 200: Type.Object({ id: Type.String(), deleted: Type.Boolean() }), ...errors },
        },
      },
      async (req) => {
        const now = deps.clock.now();
        const gone = await deps.store.transaction(async (tx) => {
          const e = await tx.endpoints.get(req.params.id);
          if (!e) return false;
          await tx.endpoints.delete(e.id);
          await tx.audit.record(
            {
              actor: actorOf(req),
              action: 'endpoint.delete',
              objectType: 'endpoint',
              objectId: e.id,
              detail: { url: e.url },
            },
            now,
          );
          return true;
        });
        if (!gone) throw notFound(req.params.id);
        return { id: req.params.id, deleted: true };
      },
    );

    app.post(
      '/v1/endpoints/:id/rotate-secret',
      {
        config: { scope: 'endpoints' },
        schema: {
          tags: ['endpoints'],
          operationId: 'rotateEndpointSecret',
          summary: "Rotate an endpoint's signing secret",
          description:
            'Answers the new secret once. For 24 hours the old secret keeps signing beside it: each request ' +
            'carries two `v1,` signatures in `webhook-signature`, so a receiver verifies with either. ' +
            'Recorded in the audit log.',
          params: Params,
          response: { 200: Type.Object({ endpoint: EndpointSchema, secret: Type.String() }), ...errors },
        },
      },
      async (req) => {
        const now = deps.clock.now();
        const r = await deps.store.transaction(async (tx) => {
          const out = await tx.endpoints.rotateSecret(req.params.id, now);
          if (!out) return undefined;
          await tx.audit.record(
            {
              actor: actorOf(req),
              action: 'endpoint.rotate_secret',
              objectType: 'endpoint',
              objectId: out.endpoint.id,
            },
            now,
          );
          return out;
        });
        if (!r) throw notFound(req.params.id);
        return { endpoint: endpointView(r.endpoint, now), secret: r.secret };
      },
    );

    app.post(
      '/v1/endpoints/:id/test',
      {
        config: { scope: 'endpoints' },
        schema: {
          tags: ['endpoints'],
          operationId: 'testEndpoint',
          summary: 'Send a test event',
          description: 'Queues one signed `endpoint.ping` event (one attempt); its outcome shows in the deliveries.',
          params: Params,
          response: { 202: Type.Object({ deliveryId: Type.String() }), ...errors },
        },
      },
      async (req, reply) => {
        const e = await deps.store.endpoints.get(req.params.id);
        if (!e) throw notFound(req.params.id);
        const deliveryId = await deps.store.eventDeliveries.ping(e.id, e.url, deps.clock.now());
        return reply.status(202).send({ deliveryId });
      },
    );

    app.get(
      '/v1/endpoints/:id/deliveries',
      {
        config: { scope: 'endpoints' },
        schema: {
          tags: ['endpoints'],
          operationId: 'listEndpointDeliveries',
          summary: "An endpoint's deliveries, newest first, with their attempts",
          params: Params,
          querystring: Type.Object({
            state: Type.Optional(StringEnum(['queued', 'sending', 'delivered', 'failed'])),
            eventId: Type.Optional(Type.String({ maxLength: 100 })),
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
            cursor: Type.Optional(Type.String({ maxLength: 100 })),
          }),
          response: {
            200: Type.Object({
              items: Type.Array(DeliverySchema),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const e = await deps.store.endpoints.get(req.params.id);
        if (!e) throw notFound(req.params.id);
        const q = req.query;
        const page = await deps.store.eventDeliveries.list(
          e.id,
          { state: q.state, eventId: q.eventId },
          q.limit ?? 50,
          q.cursor,
        );
        return { items: page.items.map(deliveryView), nextCursor: page.nextCursor };
      },
    );

    app.post(
      '/v1/endpoints/:id/replay',
      {
        config: { scope: 'endpoints', audit: 'endpoint.replay' },
        schema: {
          tags: ['endpoints'],
          operationId: 'replayEndpointEvents',
          summary: 'Send events to an endpoint again',
          description:
            'One event (`eventId`), or every event whose latest delivery to this endpoint failed, created since ' +
            '`since`. Each becomes a new delivery with the same event id (webhook-id) and a fresh attempt budget.',
          params: Params,
          body: Type.Union([
            Type.Object({ eventId: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
            Type.Object({ since: Type.String({ format: 'date-time' }) }, { additionalProperties: false }),
          ]),
          response: { 202: Type.Object({ count: Type.Integer({ description: 'Deliveries queued' }) }), ...errors },
        },
      },
      async (req, reply) => {
        const e = await deps.store.endpoints.get(req.params.id);
        if (!e) throw notFound(req.params.id);
        const now = deps.clock.now();
        const b = req.body;
        const count = await deps.store.eventDeliveries.replay(
          e.id,
          'eventId' in b ? { eventId: b.eventId } : { failedSince: Date.parse(b.since) },
          now,
          maxAttempts,
        );
        if ('eventId' in b && count === 0)
          throw new AppError('HERALD_NOT_FOUND', `No event ${b.eventId} was sent to this endpoint`);
        return reply.status(202).send({ count });
      },
    );
  };
}
