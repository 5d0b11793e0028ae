/**
 * What seeds 000–002 send and answer, for /openapi-compat.json. Documentation only: these APIs
 * check their input by hand in their original systems' words, and their answers are serialised
 * as they are built (documentOnly), so a schema here can never change what a client sees.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { StringEnum } from '../openapi/schema-kit.ts';

/** The route schemas of this plugin describe; they neither validate requests nor shape answers. */
export function documentOnly(app: FastifyInstance): void {
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}

/** Seeds 000 and 002: `{"error": "…"}`. */
export const SimpleError = Type.Object({ error: Type.String({ description: 'What went wrong' }) });

const MAILING_STATUSES = ['processing', 'delivered', 'rejected', 'failed'] as const;

export const MailingSend = Type.Object(
  {
    sender: Type.String({ description: 'From address' }),
    recipient: Type.String({ description: 'To address' }),
    message: Type.String({ description: 'HTML body' }),
    subject: Type.Optional(Type.String({ description: '(no subject) when absent' })),
    priority: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: 9 }), Type.String({ pattern: '^\\s*\\d+\\s*$' })], {
        description: '0–9, higher first; a numeric string is taken too',
      }),
    ),
  },
  { examples: [{ sender: 'sender@example.com', recipient: 'receiver@example.com', message: '<p>Hello World!</p>' }] },
);

export const MailingView = Type.Object({
  request_id: Type.String({ description: 'Herald message id' }),
  status: StringEnum(MAILING_STATUSES),
  priority: Type.Integer(),
});

export const MailingWebhook = Type.Object({
  ID: Type.String({ description: 'request_id, or the delivery service’s own id' }),
  STATUS: StringEnum(['DELIVERED', 'REJECTED', 'FAILED'], { description: 'Any case' }),
});

export const SmsSend = Type.Object(
  {
    phone_number: Type.String({ description: 'Digits, optionally with a leading +' }),
    content: Type.String({ minLength: 1 }),
  },
  { examples: [{ phone_number: '+79001234567', content: 'Hello' }] },
);

export const SmsAccepted = Type.Object({ id: Type.String({ description: 'Herald message id' }) });
export const SmsStatus = Type.Object({
  status: StringEnum(['ACCEPTED', 'CONFIRMED', 'FAILED', 'DELIVERED', 'NOT_FOUND']),
});

const RpcRequest = Type.Object(
  {
    jsonrpc: Type.Literal('2.0'),
    method: StringEnum(['Postmaster.Enqueue', 'Postmaster.UpdatePrefs', 'Postmaster.GetLastEmail']),
    params: Type.Optional(Type.Unknown({ description: 'Named parameters: an object, or an array of one' })),
    id: Type.Optional(
      Type.Union([Type.String(), Type.Number(), Type.Null()], { description: 'Absent: a notification' }),
    ),
  },
  { title: 'JSON-RPC request' },
);
const RpcResponse = Type.Object(
  {
    jsonrpc: Type.Literal('2.0'),
    result: Type.Optional(Type.Unknown()),
    error: Type.Optional(
      Type.Object({ code: Type.Integer(), message: Type.String(), data: Type.Optional(Type.Unknown()) }),
    ),
    id: Type.Union([Type.String(), Type.Number(), Type.Null()]),
  },
  { title: 'JSON-RPC response' },
);

export const RpcBody = Type.Union([RpcRequest, Type.Array(RpcRequest, { minItems: 1, maxItems: 1000 })], {
  examples: [
    {
      jsonrpc: '2.0',
      method: 'Postmaster.Enqueue',
      params: { to: 'test@test', from: 'test@test', subject: 'Test', text: 'Yo' },
      id: 1,
    },
  ],
});
export const RpcAnswer = Type.Union([RpcResponse, Type.Array(RpcResponse)]);
