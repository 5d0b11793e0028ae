import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../deps.ts';
import { mailingRoutes } from './mailing/mailing.routes.ts';
import { postmasterRoutes } from './postmaster/postmaster.routes.ts';
import { smsProxyRoutes } from './smsproxy/smsproxy.routes.ts';

/**
 * The compatibility APIs of seeds 000 (mailing: /send, /status, /status-webhook), 001 (postmaster:
 * /rpc) and 002 (SMS proxy: /sms). Each is its own encapsulated plugin with its own body parser
 * and error handler. app.ts registers this inside the API-key scope, or outside it when
 * HERALD_COMPAT_AUTH=false (their original clients send no key).
 */
export function legacyCompatRoutes(deps: AppDeps) {
  return async (app: FastifyInstance) => {
    await app.register(mailingRoutes(deps));
    await app.register(postmasterRoutes(deps));
    await app.register(smsProxyRoutes(deps));
  };
}
