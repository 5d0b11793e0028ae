import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps.ts';
import { ErrorSchema } from '../../routes/messages/schemas.ts';

/**
 * Seed 004, postback delivery: `POST /ingest.php`, `POST /i` and `POST /v1/postbacks` take
 * `{"endpoint":{"method","url"},"data":[{…},…]}` and make one webhook message per data object,
 * in one transaction. `{name}` in the URL is filled from each data object at delivery.
 */
export const PostbackBody = Type.Object(
  {
    endpoint: Type.Object(
      {
        method: Type.Union([Type.Literal('GET'), Type.Literal('POST')], {
          description: 'GET, or POST with the data object as a JSON body',
        }),
        url: Type.String({
          minLength: 1,
          maxLength: 8192,
          description: 'URL template: {name} becomes data[name], URL-encoded',
        }),
      },
      { additionalProperties: false },
    ),
    data: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: 1000 }),
  },
  { description: 'Seed 004 postback request' },
);

/** The seed's own paths; `/v1/postbacks` is the native one (always behind the API key). */
export const SEED_POSTBACK_PATHS = ['/ingest.php', '/i'] as const;

export function postbackRoutes(deps: AppDeps, paths: readonly string[]): FastifyPluginAsyncTypebox {
  return async (app) => {
    for (const url of paths) {
      app.post(
        url,
        {
          config: { scope: 'messages:write' },
          schema: {
            tags: url === '/v1/postbacks' ? ['postbacks'] : ['compat: postback (seed 004)'],
            operationId: url === '/v1/postbacks' ? 'createPostbacks' : undefined,
            summary:
              url === '/v1/postbacks' ? 'Accept postbacks (seed 004)' : `Accept postbacks (seed 004 path ${url})`,
            body: PostbackBody,
            response: {
              202: Type.Object({ ids: Type.Array(Type.String()), count: Type.Integer() }),
              400: ErrorSchema,
              401: ErrorSchema,
            },
          },
        },
        async (req, reply) => {
          const results = await deps.messages.acceptPostbacks(req.body.endpoint, req.body.data);
          return reply.status(202).send({ ids: results.map((r) => r.id), count: results.length });
        },
      );
    }
  };
}
