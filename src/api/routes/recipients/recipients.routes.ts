import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../errors/app-error.ts';
import { postmasterStateFlags } from '../../../domain/state-flags.ts';
import type { AppDeps } from '../../deps.ts';
import { ErrorSchema, MessageSchema } from '../messages/schemas.ts';
import { messageView } from '../messages/views.ts';
import { RecipientParams } from '../preferences/preferences.routes.ts';

/** De-duplication: "did we already send this kind of message to this person, and when?" */
export function recipientRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  const repo = deps.store.recipients;
  return async (app) => {
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
