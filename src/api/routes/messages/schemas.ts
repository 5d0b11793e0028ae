import { Type, type Static } from '@sinclair/typebox';
import { Named, StringEnum } from '../../openapi/schema-kit.ts';
import { CHANNELS } from '../../../domain/message.ts';
import { MESSAGE_STATES } from '../../../domain/states.ts';
import { UUID_PATTERN } from '../../../domain/ids.ts';
import { TemplateRefSchema } from '../templates/schemas.ts';
import { EVENT_TYPES } from '../../../events/model.ts';

const MESSAGE_EVENT_TYPES = EVENT_TYPES.filter((t) => t.startsWith('message.'));

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const NStr = (description?: string) => Nullable(Type.String(description ? { description } : {}));

export { ErrorSchema } from '../../openapi/schema-kit.ts';

const EMAIL_EXAMPLE = {
  channel: 'email',
  to: 'ann@example.com',
  from: 'shop@example.com',
  subject: 'Your order',
  text: 'Shipped!',
} as const;
const SMS_EXAMPLE = { channel: 'sms', to: '+79001234567', text: 'Your code is 1234' } as const;
const WEBHOOK_EXAMPLE = { channel: 'webhook', url: 'https://example.com/hook', body: { order: 42 } } as const;

/** Fields every channel takes. */
const commonInput = {
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 9, description: '0–9, higher first (0)' })),
  sendAt: Type.Optional(Type.String({ format: 'date-time', description: 'Not before this time' })),
  notAfter: Type.Optional(Type.String({ format: 'date-time', description: 'Expire if not sent by then' })),
  categories: Type.Optional(Type.Integer({ minimum: 0, description: 'Category bit flags (docs/preferences.md)' })),
  uniqueId: Type.Optional(Type.String({ maxLength: 256, description: 'For "the last message of this kind"' })),
  metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'Any JSON object, kept' })),
  maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Attempt budget' })),
  /** A stored template rendered at accept time instead of literal content (docs/templates.md). */
  template: Type.Optional(TemplateRefSchema),
  callbackUrl: Type.Optional(
    Type.String({
      maxLength: 2048,
      description: "Send this message's status events here, signed with the callback secret (docs/events.md#callbacks)",
    }),
  ),
  callbackEvents: Type.Optional(
    Type.Array(StringEnum(MESSAGE_EVENT_TYPES), {
      minItems: 1,
      uniqueItems: true,
      description: 'Which events the callback gets (default: all message events)',
    }),
  ),
};
/** Extra header names: what an HTTP or mail header name may be (the allow-list is checked later). */
const headerRecord = (description: string) =>
  Type.Unsafe<Record<string, string>>({
    type: 'object',
    description,
    propertyNames: { pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", 'x-expected': 'an HTTP header name' },
    additionalProperties: { type: 'string', maxLength: 8192 },
  });
const provider = Type.Optional(
  Type.String({ maxLength: 128, description: 'Use this configured provider instead of the channel route' }),
);

export const EmailMessageInput = Type.Object(
  {
    channel: Type.Literal('email'),
    to: Type.String({ maxLength: 320, description: 'Recipient e-mail address' }),
    from: Type.String({ maxLength: 320, description: 'Sender e-mail address' }),
    subject: Type.Optional(
      Type.String({ minLength: 1, maxLength: 998, description: 'Required unless a template gives it' }),
    ),
    text: Type.Optional(Type.String({ maxLength: 1_000_000, description: 'Plain text (text or html is required)' })),
    html: Type.Optional(
      Type.String({
        maxLength: 2_000_000,
        description: 'HTML (text or html is required); a text part is made from it',
      }),
    ),
    fromName: Type.Optional(Type.String({ maxLength: 256, description: 'Display name of the sender' })),
    toName: Type.Optional(Type.String({ maxLength: 256, description: 'Display name of the recipient' })),
    replyTo: Type.Optional(Type.String({ maxLength: 320, description: 'Reply-To address' })),
    headers: Type.Optional(
      headerRecord('Extra headers: X-… and a short allow-list (docs/templates.md#e-mail-as-it-leaves-herald)'),
    ),
    provider,
    ...commonInput,
  },
  { $id: 'EmailMessageInput', title: 'E-mail', additionalProperties: false, examples: [EMAIL_EXAMPLE] },
);

export const SmsMessageInput = Type.Object(
  {
    channel: Type.Literal('sms'),
    to: Type.String({ maxLength: 32, description: 'Phone number: digits, optionally with a leading +' }),
    text: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1_000_000, description: 'Required unless a template gives it' }),
    ),
    from: Type.Optional(Type.String({ maxLength: 320, description: 'Sender id, where the provider takes one' })),
    provider,
    ...commonInput,
  },
  { $id: 'SmsMessageInput', title: 'SMS', additionalProperties: false, examples: [SMS_EXAMPLE] },
);

export const WebhookMessageInput = Type.Object(
  {
    channel: Type.Literal('webhook'),
    url: Type.String({ maxLength: 8192, description: 'Target URL (http or https)' }),
    method: Type.Optional(StringEnum(['GET', 'POST', 'PUT'], { description: 'HTTP method (POST)' })),
    headers: Type.Optional(headerRecord('Request headers to send')),
    body: Type.Optional(Type.Unknown({ description: 'Any JSON, sent as the request body (POST/PUT)' })),
    secret: Type.Optional(Type.String({ minLength: 8, description: 'Sign with Standard Webhooks (whsec_… or text)' })),
    ...commonInput,
  },
  { $id: 'WebhookMessageInput', title: 'Webhook', additionalProperties: false, examples: [WEBHOOK_EXAMPLE] },
);

/**
 * One message: a `oneOf` by `channel`. Ajv's discriminator checks only the branch the channel
 * names (precise errors); `mapping` is for documentation tools (the validator drops it).
 */
const messageInput = {
  type: 'object',
  required: ['channel'],
  oneOf: [Type.Ref('EmailMessageInput'), Type.Ref('SmsMessageInput'), Type.Ref('WebhookMessageInput')],
  discriminator: {
    propertyName: 'channel',
    mapping: {
      email: '#/components/schemas/EmailMessageInput',
      sms: '#/components/schemas/SmsMessageInput',
      webhook: '#/components/schemas/WebhookMessageInput',
    },
  },
};
type MessageInputType =
  Static<typeof EmailMessageInput> | Static<typeof SmsMessageInput> | Static<typeof WebhookMessageInput>;

/** One message (POST /v1/messages), with an example per channel. */
export const MessageInputSchema = Type.Unsafe<MessageInputType>({
  ...messageInput,
  'x-examples': {
    email: { summary: 'An e-mail', value: EMAIL_EXAMPLE },
    sms: { summary: 'An SMS', value: SMS_EXAMPLE },
    webhook: { summary: 'A webhook', value: WEBHOOK_EXAMPLE },
  },
});

/** Up to 1000 messages (POST /v1/messages/batch). */
export function batchInputSchema(maxItems: number) {
  return Type.Object(
    { messages: Type.Array(Type.Unsafe<MessageInputType>(messageInput), { minItems: 1, maxItems }) },
    {
      additionalProperties: false,
      'x-examples': {
        mixed: {
          summary: 'One message per channel',
          value: { messages: [EMAIL_EXAMPLE, SMS_EXAMPLE, WEBHOOK_EXAMPLE] },
        },
      },
    },
  );
}
export type MessageInputBody = Static<typeof MessageInputSchema>;

export const AcceptedSchema = Type.Object({ id: Type.String(), state: Type.String() });

export const AttemptSchema = Type.Object({
  number: Type.Integer(),
  provider: NStr(),
  startedAt: Type.String({ format: 'date-time' }),
  durationMs: Type.Integer(),
  outcome: StringEnum(['ok', 'transient', 'permanent']),
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
  channel: StringEnum(CHANNELS),
  state: StringEnum(MESSAGE_STATES),
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

export const MessageDefinition = Type.Object(messageFields, { $id: 'Message', title: 'Message' });
export const MessageSchema = Named(MessageDefinition);
export const MessageDetailDefinition = Type.Object(
  { ...messageFields, attempts: Type.Array(AttemptSchema), events: Type.Array(EventSchema) },
  { $id: 'MessageDetail', title: 'Message with attempts and events' },
);
export const MessageDetailSchema = Named(MessageDetailDefinition);

export const IdParams = Type.Object({
  id: Type.String({ format: 'uuid', pattern: UUID_PATTERN, description: 'Message id (UUIDv7)' }),
});

export const ListQuery = Type.Object({
  state: Type.Optional(StringEnum(MESSAGE_STATES)),
  channel: Type.Optional(StringEnum(CHANNELS)),
  provider: Type.Optional(Type.String()),
  recipient: Type.Optional(Type.String({ description: 'Exactly this recipient' })),
  recipientPrefix: Type.Optional(
    Type.String({ minLength: 1, maxLength: 320, description: 'Recipients starting with this text (ignoring case)' }),
  ),
  recipientContains: Type.Optional(
    Type.String({ minLength: 3, maxLength: 320, description: 'Recipients containing this text (ignoring case)' }),
  ),
  providerMessageId: Type.Optional(
    Type.String({ minLength: 1, maxLength: 256, description: 'The id the provider gave the message' }),
  ),
  campaignId: Type.Optional(Type.String()),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'Created at or after' })),
  until: Type.Optional(Type.String({ format: 'date-time', description: 'Created before' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(
    Type.String({ format: 'uuid', pattern: UUID_PATTERN, description: 'nextCursor of the previous page' }),
  ),
});

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});
