import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AppDeps } from '../../deps.ts';
import { RETRY_AFTER_SECONDS } from '../../../store/faults.ts';
import { exposition } from '../../../metrics.ts';
import { ErrorSchema } from '../../openapi/schema-kit.ts';

/** Liveness and readiness, without auth (load balancers and orchestrators call these). */
export function healthRoutes(deps: Pick<AppDeps, 'store'>): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/healthz',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['health'],
          operationId: 'healthz',
          summary: 'The process is alive',
          security: [],
          response: { 200: Type.Object({ ok: Type.Boolean() }) },
        },
      },
      async () => ({ ok: true }),
    );
    app.get(
      '/readyz',
      {
        config: { scope: 'public' },
        schema: {
          tags: ['health'],
          operationId: 'readyz',
          summary: 'The database takes writes and its schema is current',
          security: [],
          response: {
            200: Type.Object({ ok: Type.Boolean(), schema: Type.Integer(), latest: Type.Integer() }),
            503: Type.Object({ ok: Type.Boolean(), reason: Type.String() }),
          },
        },
      },
      async (_req, reply) => {
        const writable = await deps.store.writable();
        if (!writable.ok)
          return reply
            .status(503)
            .header('retry-after', RETRY_AFTER_SECONDS)
            .send({ ok: false, reason: writable.reason });
        try {
          const s = await deps.store.migrationStatus();
          if (s.current !== s.latest)
            return reply.status(503).send({ ok: false, reason: `schema at ${s.current}, code expects ${s.latest}` });
          return { ok: true, schema: s.current, latest: s.latest };
        } catch (err) {
          return reply.status(503).send({ ok: false, reason: `database unreachable: ${(err as Error).message}` });
        }
      },
    );
  };
}

/** Prometheus metrics (a `metrics` key). Queue depth is read at scrape time. */
export function metricsRoutes(deps: Pick<AppDeps, 'store' | 'metrics' | 'logger'>): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/metrics',
      {
        config: { scope: 'metrics' },
        schema: {
          tags: ['health'],
          operationId: 'metrics',
          summary: 'Prometheus metrics',
          response: {
            200: {
              description: 'The Prometheus text exposition format',
              content: { 'text/plain; version=0.0.4; charset=utf-8': { schema: Type.String() } },
            },
            401: ErrorSchema,
            403: ErrorSchema,
          },
        },
      },
      async (_req, reply) => reply.type(deps.metrics.registry.contentType).send(await exposition(deps)),
    );
  };
}
