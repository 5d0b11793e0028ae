import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AppDeps } from './deps.ts';
import { SHARED_SCHEMAS } from './openapi/components.ts';
import { accessOptions, installAccess } from './plugins/auth.ts';
import { registerErrorHandling } from './plugins/errors.ts';
import { installHttpMetrics } from './plugins/http-metrics.ts';
import { healthRoutes, metricsRoutes } from './routes/health/health.routes.ts';

/**
 * The operations listener of a process without the API role (`herald worker`): /metrics (a
 * `metrics` key), /healthz and /readyz, on HERALD_METRICS_PORT or PORT. main.ts listens on it.
 */
export async function buildOpsApp(
  deps: Pick<AppDeps, 'config' | 'store' | 'clock' | 'logger' | 'metrics'>,
): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });
  installAccess(app, accessOptions(deps));
  installHttpMetrics(app, deps.metrics, { logRequests: deps.config.logRequests });
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  registerErrorHandling(app, { bodyLimitBytes: deps.config.bodyLimitBytes });
  await app.register(healthRoutes(deps));
  await app.register(metricsRoutes(deps));
  return app;
}
