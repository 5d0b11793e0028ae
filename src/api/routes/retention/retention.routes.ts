import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { retentionDaysOf } from '../../../config/retention.ts';
import { CHANNELS } from '../../../domain/message.ts';
import type { AppDeps } from '../../deps.ts';
import { ErrorSchema } from '../messages/schemas.ts';

const Days = Type.Integer({ minimum: 0, description: 'Days an ended message is kept; 0 = forever' });

/** GET /v1/retention: the policy in force (the dashboard shows it). */
export function retentionRoutes(deps: Pick<AppDeps, 'config'>): FastifyPluginAsyncTypebox {
  const policy = deps.config.retention;
  const answer = {
    days: policy.days,
    channels: Object.fromEntries(CHANNELS.map((c) => [c, retentionDaysOf(policy, c)])),
    overridden: CHANNELS.filter((c) => policy.channels[c] !== undefined),
  };
  return async (app) => {
    app.get(
      '/v1/retention',
      {
        config: { scope: 'messages:read' },
        schema: {
          tags: ['stats'],
          operationId: 'getRetention',
          summary: 'How long ended messages are kept',
          description:
            'HERALD_RETENTION_DAYS and the per-channel `retention` of the providers file, as in force. The dashboard ' +
            'counters (`/v1/stats/*`) are kept whatever this says.',
          response: {
            200: Type.Object({
              days: Days,
              channels: Type.Object(Object.fromEntries(CHANNELS.map((c) => [c, Days]))),
              overridden: Type.Array(Type.String(), { description: 'Channels with their own number of days' }),
            }),
            401: ErrorSchema,
            403: ErrorSchema,
          },
        },
      },
      async () => answer,
    );
  };
}
