import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { accessOptions, installAccess, withScope } from '../../plugins/auth.ts';
import type { AppDeps } from '../../deps.ts';
import { postmasterRoutes } from './postmaster.routes.ts';

/**
 * The separate JSON-RPC listener (HERALD_RPC_PORT): postmaster's RPC port, JSON-RPC on every path
 * and nothing else, meant for a private network ("Do NOT expose the RPC port"). It follows
 * HERALD_COMPAT_AUTH and HERALD_COMPAT_ALLOW like the compatibility routes of the main port. main.ts listens on it.
 */
export async function buildRpcApp(deps: AppDeps): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.bodyLimitBytes,
    return503OnClosing: true,
  });
  installAccess(app, accessOptions(deps));
  await app.register(withScope('compat', postmasterRoutes(deps, { anyPath: true })));
  return app;
}
