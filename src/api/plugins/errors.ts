import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { AppError, errorBody } from '../../errors/app-error.ts';
import { RETRY_AFTER_SECONDS, StoreUnavailableError } from '../../store/faults.ts';
import { invalidRequest } from '../../errors/validation.ts';
import { JsonBodyError } from './json-body.ts';
import { ajvProblems, locationOf, type SchemaLookup } from './validation-messages.ts';

export interface ErrorOptions {
  /** HERALD_BODY_LIMIT_BYTES, named in the 413. */
  bodyLimitBytes: number;
  /** Shared schemas by `$id`, for messages about unions of named schemas. */
  lookup?: SchemaLookup | undefined;
}

/**
 * Every error becomes `{ "error": { code, message, details? } }` with its status: validation →
 * 400 HERALD_VALIDATION, one sentence per problem; bad JSON → 400 with the parser's position;
 * too large → 413 naming the limit; another content type → 415; unknown → 500 HERALD_INTERNAL
 * (logged, details hidden). Compatibility APIs install their own handler.
 */
export function toAppError(err: FastifyError | Error, opts: ErrorOptions, req?: FastifyRequest): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof StoreUnavailableError)
    return new AppError(
      'HERALD_UNAVAILABLE',
      `The database is ${err.kind === 'full' ? 'full' : 'unavailable'}; try again later`,
    );
  const e = err as FastifyError;
  if (e.validation) return invalidRequest(ajvProblems(e.validation, locationOf(e.validationContext), opts.lookup));
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new JsonBodyError(e.message);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new AppError(
        'HERALD_BODY_TOO_LARGE',
        `The request body is larger than the limit of ${opts.bodyLimitBytes} bytes (HERALD_BODY_LIMIT_BYTES)`,
        { limitBytes: opts.bodyLimitBytes },
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const type = req?.headers['content-type']?.split(';')[0]?.trim() || 'none';
      return new AppError(
        'HERALD_UNSUPPORTED_MEDIA_TYPE',
        `The content type ${type} is not supported: send JSON with Content-Type: application/json`,
      );
    }
  }
  if (err instanceof SyntaxError) return new JsonBodyError(err.message);
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return new AppError('HERALD_VALIDATION', e.message);
  return new AppError('HERALD_INTERNAL');
}

const METHODS: readonly HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * The methods a path answers. `staticOnly`: only routes that match the path literally, not
 * through a parameter (GET /v1/messages/batch reaches GET /v1/messages/{id}, but the path is the
 * batch route's, which is POST only).
 */
export function allowedMethods(app: FastifyInstance, path: string, staticOnly = false): HTTPMethods[] {
  return METHODS.filter((method) => {
    const found = app.findRoute({ method, url: path });
    return found !== null && (!staticOnly || Object.keys(found.params ?? {}).length === 0);
  });
}

function pathOf(req: FastifyRequest): string {
  return req.url.split('?')[0] ?? req.url;
}

function methodNotAllowed(reply: FastifyReply, req: FastifyRequest, allow: readonly string[]): FastifyReply {
  const list = [...allow, 'OPTIONS'].join(', ');
  return reply
    .status(405)
    .header('allow', list)
    .send(
      errorBody(
        'HERALD_METHOD_NOT_ALLOWED',
        `${req.method} is not allowed on ${pathOf(req)}; use ${allow.slice(0, -1).join(', ')}${allow.length > 1 ? ' or ' : ''}${allow.at(-1)}`,
        { allow },
      ),
    );
}

export function registerErrorHandling(app: FastifyInstance, opts: ErrorOptions): void {
  // Every 503 (the store is unavailable), in any API's shape, says when to try again.
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (reply.statusCode === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', RETRY_AFTER_SECONDS);
    done(null, payload);
  });
  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    // A path parameter that fails only because the path belongs to a literal route of other methods.
    if (err.validationContext === 'params') {
      const allow = allowedMethods(app, pathOf(req), true).filter((m) => m !== req.method);
      if (allow.length > 0) return methodNotAllowed(reply, req, allow);
    }
    const e = toAppError(err, opts, req);
    if (e.status >= 500) req.log.error({ err }, 'unhandled error');
    return reply.status(e.status).send(errorBody(e.code, e.message, e.details));
  });
  app.setNotFoundHandler((req, reply) => {
    const allow = allowedMethods(app, pathOf(req));
    // RFC 9110 §9.3.7: OPTIONS says which methods the resource answers.
    if (allow.length > 0 && req.method === 'OPTIONS') {
      return reply
        .status(204)
        .header('allow', [...allow, 'OPTIONS'].join(', '))
        .send();
    }
    if (allow.length > 0) return methodNotAllowed(reply, req, allow);
    return reply.status(404).send(errorBody('HERALD_ROUTE_NOT_FOUND', `No route ${req.method} ${pathOf(req)}`));
  });
}
