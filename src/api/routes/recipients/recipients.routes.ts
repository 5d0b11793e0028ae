import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../errors/app-error.ts';
import { postmasterStateFlags } from '../../../domain/state-flags.ts';
import type { AppDeps } from '../../deps.ts';
import { actorOf } from '../../plugins/auth.ts';
import { ErasureService } from '../../../services/erasure.ts';
import { ErrorSchema, MessageSchema } from '../messages/schemas.ts';
import { messageView } from '../messages/views.ts';
import { RecipientParams } from '../preferences/preferences.routes.ts';

const ErasureSchema = Type.Object({
  recipient: Type.String({ description: 'The address as Herald keys it (e-mail lowercased)' }),
  messages: Type.Integer(),
  attempts: Type.Integer(),
  events: Type.Integer(),
  contacts: Type.Integer(),
  preferences: Type.Integer(),
  suppression: Type.Union([Type.Literal('hashed'), Type.Literal('none')], {
    description: '`hashed`: the suppression entry stays, under the SHA-256 of the address, so it stays blocked',
  }),
  auditEntries: Type.Integer({ description: 'Audit entries that named the address, now naming its hash' }),
});

/** De-duplication ("did we already send this kind of message to this person?"), and erasure. */
export function recipientRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  const repo = deps.store.recipients;
  const erasure = new ErasureService({ store: deps.store, clock: deps.clock });
  return async (app) => {
    app.delete(
      '/v1/recipients/:recipient',
      {
        config: { scope: 'contacts' },
        schema: {
          tags: ['recipients'],
          operationId: 'eraseRecipient',
          summary: "Erase a person's data (GDPR Art. 17)",
          description:
            'Deletes every message to the address (however its case was written; a phone with or without +) with ' +
            'their attempts and events, the contacts with that e-mail or phone, and its preferences. A suppression ' +
            'entry stays, as the SHA-256 of the address, so a bounced address stays blocked. Audit entries that ' +
            'named the address name the hash instead; the erasure is audited as `recipient.erase`. Idempotent: a ' +
            'second call answers zeros.',
          params: RecipientParams,
          response: { 200: ErasureSchema, 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema },
        },
      },
      async (req) => erasure.erase(req.params.recipient, actorOf(req)),
    );
    app.get(
      '/v1/recipients/:recipient/last',
      {
        config: { scope: 'contacts' },
        schema: {
          tags: ['messages'],
          summary: 'The newest message to a recipient with a given uniqueId',
          description:
            'Its state, engagement flags and postmaster-style stateFlags (Delivered 2, Spam 4, Bounced 8, ' +
            'Dropped 16, Opened 32). 404 when there is none. The recipient matches as the message was sent.',
          params: RecipientParams,
          querystring: Type.Object({ uniqueId: Type.String({ minLength: 1, maxLength: 256 }) }),
          response: {
            200: Type.Object({ message: MessageSchema, stateFlags: Type.Integer() }),
            400: ErrorSchema,
            401: ErrorSchema,
            404: ErrorSchema,
          },
        },
      },
      async (req) => {
        const m = await repo.lastByUniqueId(req.params.recipient, req.query.uniqueId);
        if (!m) throw new AppError('HERALD_NOT_FOUND', `No message to ${req.params.recipient} with that uniqueId`);
        return { message: messageView(m), stateFlags: postmasterStateFlags(m.state, m.engagement) };
      },
    );
  };
}
