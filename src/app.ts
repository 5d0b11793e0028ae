import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppDeps } from './api/deps.ts';
import { accessOptions, installAccess, withScope } from './api/plugins/auth.ts';
import { installAudit } from './auth/audit.ts';
import { installHttpMetrics } from './api/plugins/http-metrics.ts';
import { keyRoutes } from './api/routes/keys/keys.routes.ts';
import { auditRoutes } from './api/routes/audit/audit.routes.ts';
import { registerErrorHandling } from './api/plugins/errors.ts';
import { validatorCompiler } from './api/plugins/validation.ts';
import { healthRoutes, metricsRoutes } from './api/routes/health/health.routes.ts';
import { messageRoutes } from './api/routes/messages/messages.routes.ts';
import { statsRoutes } from './api/routes/stats/stats.routes.ts';
import { uiRoutes } from './api/ui-static.ts';
import { postbackRoutes, SEED_POSTBACK_PATHS } from './api/compat/postback/postback.routes.ts';
import { legacyCompatRoutes } from './api/compat/legacy.ts';
import { notificationCompatRoutes } from './api/compat/notification/notification.routes.ts';
import { campaignRoutes } from './api/routes/campaigns/campaigns.routes.ts';
import { contactRoutes } from './api/routes/contacts/contacts.routes.ts';
import { preferenceRoutes } from './api/routes/preferences/preferences.routes.ts';
import { recipientRoutes } from './api/routes/recipients/recipients.routes.ts';
import { suppressionRoutes } from './api/routes/suppressions/suppressions.routes.ts';
import { outboxRoutes } from './providers/outbox/outbox.routes.ts';
import { receiptRoutes } from './providers/receipts/receipts.routes.ts';
import { providersRoutes } from './providers/stats/providers.routes.ts';
import { ErrorSchema } from './api/routes/messages/schemas.ts';

export type { AppDeps } from './api/deps.ts';

/**
 * Builds the HTTP app without listening (tests call `app.inject()`; only main.ts listens).
 * Each route declares who may call it (config `scope`, src/auth/scopes.ts); installAccess applies it.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // Typed as Fastify's base logger so the instance keeps Fastify's default generics.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    // Per-request log lines cost ingest throughput; delivery attempts are logged by the worker.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.bodyLimitBytes,
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  installAccess(app, accessOptions(deps));
  installAudit(app, deps);
  installHttpMetrics(app, deps.metrics, { logRequests: deps.config.logRequests });
  app.setValidatorCompiler(validatorCompiler());
  // JSON only, unless a route scope adds its own parser (form-encoded receipts): text/plain is a 415.
  app.removeContentTypeParser('text/plain');
  registerErrorHandling(app);
  app.addSchema(ErrorSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Herald',
        version: '0.1.0',
        description:
          'Self-hosted delivery of e-mail, SMS and HTTP postbacks. Every API route needs `Authorization: Bearer <key>`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(withScope('public', async (docs) => docs.register(swaggerUi, { routePrefix: '/docs' })));
  app.get('/openapi.json', { schema: { hide: true }, config: { scope: 'public' } }, async () => app.swagger());

  await app.register(healthRoutes(deps));
  await app.register(metricsRoutes(deps));
  // Provider receipts: each provider's own check (providers cannot send a key).
  if (deps.providers) await app.register(receiptRoutes({ ...deps, providers: deps.providers }));
  await app.register(withScope('public', uiRoutes));
  await app.register(messageRoutes(deps));
  await app.register(contactRoutes(deps));
  await app.register(campaignRoutes(deps));
  await app.register(statsRoutes(deps));
  await app.register(postbackRoutes(deps, ['/v1/postbacks']));
  await app.register(preferenceRoutes(deps));
  await app.register(suppressionRoutes(deps));
  await app.register(recipientRoutes(deps));
  await app.register(keyRoutes(deps));
  await app.register(auditRoutes(deps));
  // The replaced systems' APIs (seeds 000–004): a `compat` key, or open (HERALD_COMPAT_AUTH=false,
  // HERALD_COMPAT_ALLOW): docs/compat/.
  await app.register(withScope('compat', legacyCompatRoutes(deps)));
  await app.register(withScope('compat', notificationCompatRoutes(deps)));
  await app.register(withScope('compat', postbackRoutes(deps, SEED_POSTBACK_PATHS)));
  await app.register(outboxRoutes(deps));
  if (deps.providers) await app.register(providersRoutes({ providers: deps.providers }));
  return app;
}
