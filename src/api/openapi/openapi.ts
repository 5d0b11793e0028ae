import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Config } from '../../config/config.ts';
import { SECURITY_HEADERS } from '../ui-static.ts';
import { scopeRoutes } from '../plugins/auth.ts';
import { documentFor, operationIdFor } from './document.ts';

const VERSION = '0.1.0';

/** The mark of the admin UI (ui/index.html), with the name beside it, for Swagger UI's top bar. */
const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="132" height="32" viewBox="0 0 132 32">
<rect width="32" height="32" rx="7" fill="#2f5bd3"/><path d="M9 8v16M23 8v16M9 16h14" stroke="#fff" stroke-width="3.5" stroke-linecap="round"/>
<text x="42" y="23" font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif" font-size="20" font-weight="600" fill="#fff">Herald</text></svg>`;

const NATIVE_TAGS = [
  { name: 'messages', description: 'Send e-mail, SMS and webhooks; read, cancel and retry them' },
  { name: 'postbacks', description: 'Seed 004 postbacks: one webhook per data object' },
  { name: 'campaigns', description: 'Campaigns to filtered contacts, in their local time' },
  { name: 'contacts', description: 'Contacts, filters and bulk import' },
  { name: 'preferences', description: 'Opt-outs by category' },
  { name: 'suppressions', description: 'Addresses Herald never sends to' },
  { name: 'recipients', description: "What was last sent to someone; erasing a person's data" },
  { name: 'stats', description: 'Counts and latencies over time' },
  { name: 'providers', description: 'Configured providers, their health, and their delivery receipts' },
  { name: 'endpoints', description: 'Signed status events to your endpoints: subscriptions, deliveries, replay' },
  { name: 'outbox', description: 'Messages kept by the built-in outbox instead of being sent' },
  { name: 'health', description: 'Liveness, readiness and metrics' },
];

const COMPAT_TAGS = [
  { name: 'compat: mailing (seed 000)', description: 'The mailing microservice: /send, /status, /status-webhook' },
  { name: 'compat: postmaster (seed 001)', description: 'postmaster: JSON-RPC 2.0 at /rpc' },
  { name: 'compat: SMS proxy (seed 002)', description: 'The SMS batching proxy: /sms' },
  {
    name: 'compat: notification (seed 003)',
    description: 'The notification service (Django REST Framework) under /api/',
  },
  { name: 'compat: postback (seed 004)', description: 'The postback service: /ingest.php and /i' },
];

const DESCRIPTION =
  'Self-hosted delivery of e-mail, SMS and HTTP postbacks: durable, with retries, receipts, campaigns and an admin UI ' +
  '(`/admin`). Routes with a lock need `Authorization: Bearer <key>` (Herald prints a key at its first start). ' +
  'Errors are `{"error":{"code","message","details"}}` (see `Error`). The APIs of the systems Herald replaces are ' +
  'described separately: choose "Compatibility APIs" above.';

const COMPAT_DESCRIPTION =
  'The APIs of the five systems Herald replaces, each in its own conventions (paths, field names, error shapes), ' +
  'so that their clients keep working unchanged. They need the API key unless `HERALD_COMPAT_AUTH=false`.';

/**
 * OpenAPI from the route schemas: `/openapi.json` (the native API) and `/openapi-compat.json`
 * (the replaced systems' APIs), both in Swagger UI at `/docs`, branded, with the admin UI's
 * security headers. Every operation gets an operationId.
 */
export async function registerOpenApi(app: FastifyInstance, config: Pick<Config, 'compatAuth'>): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Herald', version: VERSION },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'A Herald API key' },
          providerBasic: {
            type: 'http',
            scheme: 'basic',
            description: 'Receipts of a provider with a webhookPassword: any user name, that password',
          },
        },
      },
    },
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
    transform: ({ schema, url, route }) => {
      const method = Array.isArray(route.method) ? String(route.method[0]) : String(route.method);
      const s = (schema ?? {}) as Record<string, unknown>;
      return { schema: { ...s, operationId: s.operationId ?? operationIdFor(method, url) } as typeof schema, url };
    },
  });

  const info = (description: string, title = 'Herald') => ({
    title,
    version: VERSION,
    description,
    license: { name: 'MIT', identifier: 'MIT' },
  });
  let native: Record<string, unknown> | undefined;
  let compat: Record<string, unknown> | undefined;
  const nativeDoc = () =>
    (native ??= documentFor(app.swagger() as unknown as Record<string, unknown>, {
      compat: false,
      keyed: true,
      info: info(DESCRIPTION),
      tags: NATIVE_TAGS,
    }));
  const compatDoc = () =>
    (compat ??= documentFor(app.swagger() as unknown as Record<string, unknown>, {
      compat: true,
      keyed: config.compatAuth,
      info: info(COMPAT_DESCRIPTION, 'Herald compatibility APIs'),
      tags: COMPAT_TAGS,
    }));
  // The server is the one that answered (behind a proxy: X-Forwarded-* when trustProxy is set).
  const withServer = (doc: Record<string, unknown>, req: FastifyRequest) => ({
    ...doc,
    servers: [{ url: `${req.protocol}://${req.host}`, description: 'This Herald' }],
  });
  const hide = { schema: { hide: true }, config: { scope: 'public' as const } };
  app.get('/openapi.json', hide, async (req) => withServer(nativeDoc(), req));
  app.get('/openapi-compat.json', hide, async (req) => withServer(compatDoc(), req));

  await app.register(async (scope) => {
    scopeRoutes(scope, 'public');
    scope.addHook('onSend', async (_req, reply) => {
      reply.headers(SECURITY_HEADERS);
    });
    await scope.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: {
        urls: [
          { url: '/openapi.json', name: 'Herald API' },
          { url: '/openapi-compat.json', name: 'Compatibility APIs' },
        ],
        deepLinking: true,
        displayOperationId: false,
        persistAuthorization: false,
      },
      transformSpecification: (_doc, req) => withServer(nativeDoc(), req),
      logo: { type: 'image/svg+xml', content: Buffer.from(LOGO_SVG), href: '/docs', target: '_self' },
      theme: {
        title: 'Herald API',
        css: [{ filename: 'herald.css', content: THEME_CSS }],
        favicon: [
          {
            filename: 'favicon.svg',
            rel: 'icon',
            sizes: 'any',
            type: 'image/svg+xml',
            content: Buffer.from(
              LOGO_SVG.replace('width="132"', 'width="32"').replace('viewBox="0 0 132 32"', 'viewBox="0 0 32 32"'),
            ),
          },
        ],
      },
    });
  });
}

const THEME_CSS = `.swagger-ui .topbar { background: #18202c; }
.swagger-ui .topbar .download-url-wrapper .select-label { color: #fff; }
.swagger-ui .topbar .download-url-wrapper .select-label select { border-color: #2f5bd3; }
.swagger-ui .info .title small.version-stamp { background: #2f5bd3; }
.swagger-ui .btn.authorize { color: #2f5bd3; border-color: #2f5bd3; }
.swagger-ui .btn.authorize svg { fill: #2f5bd3; }`;
