import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppDeps } from './api/deps.ts';
import { accessOptions, installAccess, requireScope, withScope } from './api/plugins/auth.ts';
import type { Authenticate } from './providers/receipts/access.ts';
import { installAudit } from './auth/audit.ts';
import { installHttpMetrics } from './api/plugins/http-metrics.ts';
import { keyRoutes } from './api/routes/keys/keys.routes.ts';
import { auditRoutes } from './api/routes/audit/audit.routes.ts';
import { endpointRoutes } from './api/routes/endpoints/endpoints.routes.ts';
import { registerErrorHandling } from './api/plugins/errors.ts';
import { checkRequestInput } from './api/plugins/input-limits.ts';
import { useJsonParser } from './api/plugins/json-body.ts';
import { sharedLookup, validatorCompiler } from './api/plugins/validation.ts';
import { SHARED_SCHEMAS } from './api/openapi/components.ts';
import { registerOpenApi } from './api/openapi/openapi.ts';
import { healthRoutes, metricsRoutes } from './api/routes/health/health.routes.ts';
import { messageRoutes } from './api/routes/messages/messages.routes.ts';
import { bulkMessageRoutes } from './api/routes/messages/bulk.routes.ts';
import { retentionRoutes } from './api/routes/retention/retention.routes.ts';
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
import { templateRoutes } from './api/routes/templates/templates.routes.ts';
import { TemplateService } from './templates/service.ts';
import { lazyChildLogger } from './api/plugins/lazy-logger.ts';
import { unsubscribeRoutes } from './unsubscribe/unsubscribe.routes.ts';

export type { AppDeps } from './api/deps.ts';

/**
 * Builds the HTTP app without listening (tests call `app.inject()`; only main.ts listens).
 * Each route declares who may call it (config `scope`, src/auth/scopes.ts); installAccess applies it.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // Typed as Fastify's base logger so the instance keeps Fastify's default generics.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  deps = { ...deps, templates: deps.templates ?? new TemplateService(deps) };
  const app = Fastify({
    loggerInstance,
    // Per-request log lines cost ingest throughput; delivery attempts are logged by the worker.
    logController: new LogController({ disableRequestLogging: true }),
    // Most requests never log: their child logger is made on first use (lazy-logger.ts).
    childLoggerFactory: lazyChildLogger,
    bodyLimit: deps.config.bodyLimitBytes,
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

  installAccess(app, accessOptions(deps));
  installAudit(app, deps);
  installHttpMetrics(app, deps.metrics, { logRequests: deps.config.logRequests });
  app.setValidatorCompiler(validatorCompiler(SHARED_SCHEMAS));
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  // JSON only, unless a route scope adds its own parser (form-encoded receipts): text/plain is a 415.
  app.removeContentTypeParser('text/plain');
  useJsonParser(app);
  // Depth, NUL and lone surrogates: refused on every route, whatever parsed the body (issue 9).
  app.addHook('preValidation', checkRequestInput);
  registerErrorHandling(app, { bodyLimitBytes: deps.config.bodyLimitBytes, lookup: sharedLookup(SHARED_SCHEMAS) });
  await registerOpenApi(app, deps.config);

  await app.register(healthRoutes(deps));
  await app.register(metricsRoutes(deps));
  // Provider receipts: the provider's own check (signature, password), else a `providers` key (receipts/access.ts).
  const authenticate: Authenticate = (req) => requireScope(req, 'providers');
  if (deps.providers) await app.register(receiptRoutes({ ...deps, providers: deps.providers, authenticate }));
  await app.register(withScope('public', uiRoutes));
  // Unsubscribe links: no API key (the signed token is the credential).
  if (deps.unsubscribe) await app.register(withScope('public', unsubscribeRoutes(deps.unsubscribe)));
  await app.register(messageRoutes(deps));
  await app.register(bulkMessageRoutes(deps));
  await app.register(templateRoutes({ ...deps, templates: deps.templates! }));
  await app.register(contactRoutes(deps));
  await app.register(campaignRoutes(deps));
  await app.register(statsRoutes(deps));
  await app.register(retentionRoutes(deps));
  await app.register(postbackRoutes(deps, ['/v1/postbacks']));
  await app.register(preferenceRoutes(deps));
  await app.register(suppressionRoutes(deps));
  await app.register(recipientRoutes(deps));
  await app.register(keyRoutes(deps));
  await app.register(auditRoutes(deps));
  await app.register(endpointRoutes(deps));
  // The replaced systems' APIs (seeds 000–004): a `compat` key, or open (HERALD_COMPAT_AUTH=false,
  // HERALD_COMPAT_ALLOW): docs/compat/.
  await app.register(withScope('compat', legacyCompatRoutes(deps)));
  await app.register(withScope('compat', notificationCompatRoutes(deps)));
  await app.register(withScope('compat', postbackRoutes(deps, SEED_POSTBACK_PATHS)));
  await app.register(outboxRoutes(deps));
  if (deps.providers) await app.register(providersRoutes({ providers: deps.providers }));
  return app;
}
