import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors/app-error.ts';
import { StoreUnavailableError } from '../../store/faults.ts';

/**
 * Helpers shared by the compatibility APIs of seeds 000–002. Each API is an encapsulated Fastify
 * plugin with its own body parser and error handler, so that its errors keep the replaced
 * system's shape and nothing leaks into the native API.
 */

/** A body that is not JSON: the plugin's error handler answers in its own shape. */
export class CompatBadJson extends Error {
  readonly statusCode = 400;
  readonly code = 'COMPAT_BAD_JSON';
  constructor(detail: string) {
    super(`malformed JSON: ${detail}`);
    this.name = 'CompatBadJson';
  }
}

/**
 * Reads every request body as text, whatever its content type (the originals decoded JSON without
 * looking at Content-Type, and `curl -d` sends form encoding). `parse: false` hands the raw text
 * to the handler (JSON-RPC must answer -32700 itself).
 */
export function readBodiesAsJson(app: FastifyInstance, opts: { parse: boolean }): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    if (!opts.parse) return done(null, body);
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(new CompatBadJson((err as Error).message), undefined);
    }
  });
}

/** Status and message of any error, for handlers that answer `{"error": "…"}`; 5xx never shows internals. */
export function describeError(err: FastifyError | Error): { status: number; message: string } {
  if (err instanceof AppError) {
    return err.status >= 500
      ? { status: err.status, message: 'internal error' }
      : { status: err.status, message: err.message };
  }
  if (err instanceof CompatBadJson) return { status: 400, message: err.message };
  if (err instanceof StoreUnavailableError) return { status: 503, message: 'service unavailable; try again later' };
  const e = err as FastifyError;
  if (e.validation) return { status: 400, message: e.message };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, message: 'request body too large' };
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return { status: e.statusCode, message: e.message };
  return { status: 500, message: 'internal error' };
}

/** The `{"error": "…"}` shape of seeds 000 and 002. */
export function simpleErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, message } = describeError(err);
  if (status >= 500) req.log.error({ err }, 'unhandled error in a compatibility route');
  return reply.status(status).send({ error: message });
}

/** A JSON object body, or a message saying what it is instead. */
export function objectBody(body: unknown): Record<string, unknown> | string {
  if (body === undefined || body === null) return 'the request body must be a JSON object';
  if (typeof body !== 'object' || Array.isArray(body)) return 'the request body must be a JSON object';
  return body as Record<string, unknown>;
}

/**
 * Finds a field the way Go's encoding/json does (the key matches the tag without regard to case),
 * and also in the Go struct field's spelling (`PhoneNumber` for `phone_number`): keys are
 * compared lowercased with underscores removed.
 */
export function field(body: Record<string, unknown>, name: string): unknown {
  if (name in body) return body[name];
  const want = name.toLowerCase().replace(/_/g, '');
  for (const [k, v] of Object.entries(body)) if (k.toLowerCase().replace(/_/g, '') === want) return v;
  return undefined;
}

/**
 * Runs `fn` (usually MessageService.compose) and words its validation errors in the replaced
 * system's field names: `{"/to": "recipient"}` turns "/to must be an e-mail address" into
 * "recipient must be an e-mail address".
 */
export function inTheirWords<T>(names: Record<string, string>, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof AppError) || err.code !== 'HERALD_VALIDATION' || !Array.isArray(err.details)) throw err;
    const problems = (err.details as { path: string; message: string }[]).map(
      (p) => `${names[p.path] ?? p.path.replace(/^\//, '')} ${p.message}`,
    );
    throw new AppError('HERALD_VALIDATION', problems.join('; '));
  }
}
