import secureParse from 'secure-json-parse';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors/app-error.ts';

/** A body that is not JSON: HERALD_BAD_JSON, with the parser's words (they give the position). */
export class JsonBodyError extends AppError {
  /** What the JSON parser said, e.g. "Unexpected end of JSON input" or "… at position 12 (line 1 column 13)". */
  readonly reason: string;
  constructor(reason: string) {
    super('HERALD_BAD_JSON', `The request body is not valid JSON: ${reason}`);
    this.reason = reason;
  }
}

/**
 * Parses JSON text like Fastify's own parser (`__proto__` and `constructor.prototype` keys are
 * refused: they could pollute prototypes where objects are merged) but keeps the reason, which
 * names the position of the fault.
 */
export function parseJsonText(text: string): unknown {
  try {
    return secureParse(text, null, { protoAction: 'error', constructorAction: 'error' });
  } catch (err) {
    const reason = (err as Error).message;
    // "Unexpected end of JSON input" names no position: the fault is at the end.
    throw new JsonBodyError(
      /^Unexpected end/.test(reason) ? `${reason} (at position ${text.length}, the end)` : reason,
    );
  }
}

/**
 * Installs the `application/json` parser of a scope. `allowEmpty`: an empty body reads as no body
 * (routes whose body is optional, such as cancel and retry); otherwise it is a HERALD_BAD_JSON.
 */
export function useJsonParser(app: FastifyInstance, opts: { allowEmpty?: boolean } = {}): void {
  if (app.hasContentTypeParser('application/json')) app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    (_req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => {
      const text = body.toString();
      if (text.trim() === '') {
        if (opts.allowEmpty) return done(null, undefined);
        return done(new JsonBodyError('the body is empty; send a JSON value'));
      }
      try {
        done(null, parseJsonText(text));
      } catch (err) {
        done(err as Error);
      }
    },
  );
}
