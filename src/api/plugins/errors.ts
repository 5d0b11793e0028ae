import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errorBody } from '../../errors/app-error.ts';
import { RETRY_AFTER_SECONDS, StoreUnavailableError } from '../../store/faults.ts';

/**
 * Every error becomes `{ "error": { code, message, details? } }` with its status: validation →
 * 400 HERALD_VALIDATION with the failing paths; bad JSON → 400; too large → 413; unknown → 500
 * HERALD_INTERNAL (logged, details hidden). Compatibility APIs install their own handler.
 */
export function toAppError(err: FastifyError | Error): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof StoreUnavailableError)
    return new AppError(
      'HERALD_UNAVAILABLE',
      `The database is ${err.kind === 'full' ? 'full' : 'unavailable'}; try again later`,
    );
  const e = err as FastifyError;
  if (e.validation) {
    const details = e.validation.map((v) => ({
      path:
        (v.instancePath || '') +
        (v.params && 'missingProperty' in v.params ? `/${String(v.params.missingProperty)}` : ''),
      message: v.message ?? 'is invalid',
      ...(v.params && 'additionalProperty' in v.params ? { property: v.params.additionalProperty } : {}),
      ...(v.params && 'allowedValues' in v.params ? { allowed: v.params.allowedValues } : {}),
    }));
    return new AppError(
      'HERALD_VALIDATION',
      `${e.validationContext ?? 'request'} is not valid: ${details.map((d) => `${d.path || '/'} ${d.message}`).join('; ')}`,
      details,
    );
  }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('HERALD_BAD_JSON', e.message);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError('HERALD_BODY_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('HERALD_UNSUPPORTED_MEDIA_TYPE', e.message);
  }
  if (err instanceof SyntaxError) return new AppError('HERALD_BAD_JSON', err.message);
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new AppError('HERALD_VALIDATION', e.message);
  return new AppError('HERALD_INTERNAL');
}

export function nativeErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const app = toAppError(err);
  if (app.status >= 500) req.log.error({ err }, 'unhandled error');
  return reply.status(app.status).send(errorBody(app.code, app.message, app.details));
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(nativeErrorHandler);
  // Every 503 (the store is unavailable), in any API's shape, says when to try again.
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (reply.statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', RETRY_AFTER_SECONDS);
    done(null, payload);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send(errorBody('HERALD_ROUTE_NOT_FOUND', `No route ${req.method} ${req.url.split('?')[0]}`)),
  );
}
