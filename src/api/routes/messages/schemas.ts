import { Type, type Static } from '@sinclair/typebox';
import { CHANNELS } from '../../../domain/message.ts';
import { MESSAGE_STATES } from '../../../domain/states.ts';
import { UUID_PATTERN } from '../../../domain/ids.ts';
import { TemplateRefSchema } from '../templates/schemas.ts';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const NStr = (description?: string) => Nullable(Type.String(description ? { description } : {}));

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable error code (docs/errors.md)' }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'Error', description: 'The one error shape of the native API' },
);

export const MessageInputSchema = Type.Object(
  {
    channel: Type.Union(
      CHANNELS.map((c) => Type.Literal(c)),
      { description: 'email needs to, from, subject and text or html; sms needs to and text; webhook needs url' },
    ),
    to: Type.Optional(Type.String({ maxLength: 320, description: 'E-mail address or phone number' })),
    from: Type.Optional(Type.String({ maxLength: 320 })),
    subject: Type.Optional(Type.String({ maxLength: 998 })),
    text: Type.Optional(Type.String({ maxLength: 1_000_000 })),
    html: Type.Optional(Type.String({ maxLength: 2_000_000 })),
    fromName: Type.Optional(Type.String({ maxLength: 256, description: 'e-mail: display name of the sender' })),
    toName: Type.Optional(Type.String({ maxLength: 256, description: 'e-mail: display name of the recipient' })),
    replyTo: Type.Optional(Type.String({ maxLength: 320, description: 'e-mail: Reply-To address' })),
    method: Type.Optional(
      Type.Union([Type.Literal('GET'), Type.Literal('POST'), Type.Literal('PUT')], {
        description: 'webhook: HTTP method (POST)',
      }),
    ),
    url: Type.Optional(Type.String({ maxLength: 8192, description: 'webhook: target URL (http or https)' })),
    headers: Type.Optional(
      Type.Record(Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$" }), Type.String({ maxLength: 8192 }), {
        description: 'webhook: request headers; e-mail: extra headers (X-… and a short allow-list, docs/api.md)',
      }),
    ),
    body: Type.Optional(Type.Unknown({ description: 'webhook: any JSON, sent as the request body (POST/PUT)' })),
    secret: Type.Optional(
      Type.String({ minLength: 8, description: 'webhook: sign with Standard Webhooks (whsec_… or text)' }),
    ),
    priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 9, description: '0–9, higher first (0)' })),
    sendAt: Type.Optional(Type.String({ format: 'date-time', description: 'Not before this time' })),
    notAfter: Type.Optional(Type.String({ format: 'date-time', description: 'Expire if not sent by then' })),
    categories: Type.Optional(Type.Integer({ minimum: 0, description: 'Category bit flags' })),
    uniqueId: Type.Optional(Type.String({ maxLength: 256 })),
    provider: Type.Optional(Type.String({ maxLength: 128, description: 'e-mail/SMS: use this provider' })),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    template: Type.Optional(TemplateRefSchema),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { additionalProperties: false },
);
export type MessageInputBody = Static<typeof MessageInputSchema>;

export const AcceptedSchema = Type.Object({ id: Type.String(), state: Type.String() });

export const AttemptSchema = Type.Object({
  number: Type.Integer(),
  provider: NStr(),
  startedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Integer(),
  outcome: Type.String({ description: 'ok | transient | permanent' }),
  statusCode: Type.Union([Type.Integer(), Type.Null()]),
  response: NStr('Response excerpt (capped)'),
  error: NStr(),
});

export const EventSchema = Type.Object({
  at: Type.String({ format: 'date-time' }),
  type: Type.String(),
  from: NStr(),
  to: NStr(),
  source: Type.String(),
  detail: NStr(),
});

const messageFields = {
  id: Type.String(),
  channel: Type.String(),
  state: Type.Union(MESSAGE_STATES.map((s) => Type.Literal(s))),
  reason: NStr(),
  provider: NStr(),
  lane: Type.String(),
  to: Type.String(),
  from: NStr(),
  subject: NStr(),
  text: NStr(),
  html: NStr(),
  email: Type.Union([
    Type.Object({
      fromName: Type.Optional(Type.String()),
      toName: Type.Optional(Type.String()),
      replyTo: Type.Optional(Type.String()),
      headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    }),
    Type.Null(),
  ]),
  segments: Type.Union([Type.Integer(), Type.Null()], {
    description: 'SMS: parts the text takes (GSM-7 153 / UCS-2 67 per part)',
  }),
  webhook: Type.Union([
    Type.Object({
      method: Type.String(),
      url: Type.String(),
      headers: Type.Optional(Type.Record(Type.String(), Type.String())),
      body: Type.Optional(Type.Unknown()),
      postback: Type.Optional(Type.Unknown()),
      signed: Type.Boolean(),
    }),
    Type.Null(),
  ]),
  priority: Type.Integer(),
  categories: Type.Integer(),
  uniqueId: NStr(),
  campaignId: NStr(),
  contactId: NStr(),
  attemptCount: Type.Integer(),
  maxAttempts: Type.Integer(),
  dueAt: Type.String({ format: 'date-time' }),
  notAfter: NStr(),
  providerMessageId: NStr(),
  engagement: Type.Object({
    opened: Type.Boolean(),
    clicked: Type.Boolean(),
    spam: Type.Boolean(),
    unsubscribed: Type.Boolean(),
  }),
  metadata: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  sentAt: NStr(),
  deliveredAt: NStr(),
  updatedAt: Type.String({ format: 'date-time' }),
};

export const MessageSchema = Type.Object(messageFields);
export const MessageDetailSchema = Type.Object({
  ...messageFields,
  attempts: Type.Array(AttemptSchema),
  events: Type.Array(EventSchema),
});

export const IdParams = Type.Object({ id: Type.String({ pattern: UUID_PATTERN, description: 'Message id (UUIDv7)' }) });

export const ListQuery = Type.Object({
  state: Type.Optional(Type.Union(MESSAGE_STATES.map((s) => Type.Literal(s)))),
  channel: Type.Optional(Type.Union(CHANNELS.map((c) => Type.Literal(c)))),
  provider: Type.Optional(Type.String()),
  recipient: Type.Optional(Type.String()),
  campaignId: Type.Optional(Type.String()),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Created before' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ pattern: UUID_PATTERN, description: 'nextCursor of the previous page' })),
});

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});
