import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AppDeps } from './api/deps.ts';
import { bearerAuth } from './api/plugins/auth.ts';
import { registerErrorHandling } from './api/plugins/errors.ts';
import { checkRequestInput } from './api/plugins/input-limits.ts';
import { useJsonParser } from './api/plugins/json-body.ts';
import { sharedLookup, validatorCompiler } from './api/plugins/validation.ts';
import { SHARED_SCHEMAS } from './api/openapi/components.ts';
import { registerOpenApi } from './api/openapi/openapi.ts';
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
import { templateRoutes } from './api/routes/templates/templates.routes.ts';
import { TemplateService } from './templates/service.ts';
import { unsubscribeRoutes } from './unsubscribe/unsubscribe.routes.ts';

export type { AppDeps } from './api/deps.ts';

/**
 * Builds the HTTP app without listening (tests call `app.inject()`; only main.ts listens).
 * Public: /healthz, /readyz, /docs, /openapi.json. Everything else needs an API key.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // Typed as Fastify's base logger so the instance keeps Fastify's default generics.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  deps = { ...deps, templates: deps.templates ?? new TemplateService(deps) };
  const app = Fastify({
    loggerInstance,
    // Per-request log lines cost ingest throughput; delivery attempts are logged by the worker.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.bodyLimitBytes,
    return503OnClosing: true,
  }).withTypeProvider<TypeBoxTypeProvider>();

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
  const authenticate = bearerAuth(deps.store, deps.clock);
  // Provider receipts: the provider's own check (signature, password), else an API key (receipts/access.ts).
  if (deps.providers) await app.register(receiptRoutes({ ...deps, providers: deps.providers, authenticate }));
  await app.register(uiRoutes);
  // Unsubscribe links: no API key (the signed token is the credential).
  if (deps.unsubscribe) await app.register(unsubscribeRoutes(deps.unsubscribe));

  // HERALD_COMPAT_AUTH=false: the replaced systems' clients send no key (private network only; docs/compat/).
  if (!deps.config.compatAuth) await app.register(legacyCompatRoutes(deps));
  if (!deps.config.compatAuth) await app.register(notificationCompatRoutes(deps));
  if (!deps.config.compatAuth) await app.register(postbackRoutes(deps, SEED_POSTBACK_PATHS));
  // Everything registered in this scope needs an API key.
  await app.register(async (secured) => {
    secured.addHook('onRequest', authenticate);
    await secured.register(metricsRoutes(deps));
    await secured.register(messageRoutes(deps));
    await secured.register(templateRoutes({ ...deps, templates: deps.templates! }));
    await secured.register(contactRoutes(deps));
    await secured.register(campaignRoutes(deps));
    await secured.register(statsRoutes(deps));
    await secured.register(postbackRoutes(deps, ['/v1/postbacks']));
    await secured.register(preferenceRoutes(deps));
    await secured.register(suppressionRoutes(deps));
    await secured.register(recipientRoutes(deps));
    // Seeds 000–002 (/send, /status, /status-webhook, /rpc, /sms): keyed unless HERALD_COMPAT_AUTH=false.
    if (deps.config.compatAuth) await secured.register(legacyCompatRoutes(deps));
    // Seed 003 (/api/clients/, /api/mailings/, /api/messages/): the same rule.
    if (deps.config.compatAuth) await secured.register(notificationCompatRoutes(deps));
    // Seed 004 (/ingest.php, /i): the same rule.
    if (deps.config.compatAuth) await secured.register(postbackRoutes(deps, SEED_POSTBACK_PATHS));
    await secured.register(outboxRoutes(deps));
    if (deps.providers) await secured.register(providersRoutes({ providers: deps.providers }));
  });
  return app;
}
