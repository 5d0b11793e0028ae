/**
 * Django REST Framework behaviour that seed 003's clients see: field errors as
 * `{"field": ["message"]}` (400), `{"detail": "…"}` for everything else, DRF's own wording, and
 * its date-time and time formats.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../../errors/app-error.ts';
import { StoreUnavailableError } from '../../../store/faults.ts';
import { JsonBodyError } from '../../plugins/json-body.ts';

export type FieldErrors = Record<string, string[]>;

/** Thrown by handlers: answered as 400 with the field errors. */
export class DrfValidation extends Error {
  readonly fields: FieldErrors;
  constructor(fields: FieldErrors) {
    super('validation');
    this.fields = fields;
  }
}

export class DrfError extends Error {
  readonly status: number;
  constructor(status: number, detail: string) {
    super(detail);
    this.status = status;
  }
}

export const NOT_FOUND = 'Not found.';
export const REQUIRED = 'This field is required.';
export const BLANK = 'This field may not be blank.';
export const DATETIME_FORMAT =
  'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].';
export const TIME_FORMAT = 'Time has wrong format. Use one of these formats instead: hh:mm[:ss[.uuuuuu]].';
export const maxLength = (n: number) => `Ensure this field has no more than ${n} characters.`;
export const notString = 'Not a valid string.';

/** Collects field errors; `throwIfAny` raises them as one 400. */
export class Errors {
  readonly fields: FieldErrors = {};
  add(field: string, message: string): void {
    (this.fields[field] ??= []).push(message);
  }
  has(field: string): boolean {
    return field in this.fields;
  }
  throwIfAny(): void {
    if (Object.keys(this.fields).length > 0) throw new DrfValidation(this.fields);
  }
}

/** The request body as a dictionary, as DRF demands. */
export function dictBody(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null || body === '') return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    const got = Array.isArray(body) ? 'list' : typeof body === 'string' ? 'str' : typeof body;
    throw new DrfValidation({ non_field_errors: [`Invalid data. Expected a dictionary, but got ${got}.`] });
  }
  return body as Record<string, unknown>;
}

/**
 * A CharField: strings (and numbers, which DRF turns into strings); absent → undefined.
 * `blank`: whether '' is allowed.
 */
export function charField(
  body: Record<string, unknown>,
  name: string,
  e: Errors,
  opts: { required: boolean; blank: boolean; max?: number },
): string | undefined {
  const v = body[name];
  if (v === undefined) {
    if (opts.required) e.add(name, REQUIRED);
    return undefined;
  }
  if (v === null) {
    e.add(name, 'This field may not be null.');
    return undefined;
  }
  if (typeof v !== 'string' && typeof v !== 'number') {
    e.add(name, notString);
    return undefined;
  }
  const s = String(v).trim();
  if (!s && !opts.blank) e.add(name, BLANK);
  else if (opts.max !== undefined && s.length > opts.max) e.add(name, maxLength(opts.max));
  return s;
}

const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** DRF DateTimeField input: ISO 8601; a time without a zone is UTC (the seed's TIME_ZONE). */
export function parseDateTime(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const m = DATETIME_RE.exec(v.trim());
  if (!m) return undefined;
  const zone = m[8] ?? 'Z';
  const iso = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}.${(m[7] ?? '0').padEnd(3, '0').slice(0, 3)}${zone === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

/** DRF DateTimeField output: ISO 8601 in UTC with a Z (microseconds only when present). */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(?:\.\d{1,6})?)?$/;

/** DRF TimeField input `hh:mm[:ss[.uuuuuu]]` → `HH:MM` (seconds are dropped: windows are per minute). */
export function parseTime(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const m = TIME_RE.exec(v.trim());
  return m ? `${m[1]}:${m[2]}` : undefined;
}

/**
 * The plugin's error handler: DRF's shapes for every error, including the API-key check of the
 * enclosing scope (401 `{"detail": …}`).
 */
export function drfErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (err instanceof DrfValidation) return reply.status(400).send(err.fields);
  if (err instanceof DrfError) return reply.status(err.status).send({ detail: err.message });
  if (err instanceof JsonBodyError) return reply.status(400).send({ detail: `JSON parse error - ${err.reason}` });
  if (err instanceof AppError) {
    if (err.code === 'HERALD_UNAUTHORIZED')
      return reply.status(401).send({ detail: 'Authentication credentials were not provided.' });
    if (err.code === 'HERALD_NOT_FOUND') return reply.status(404).send({ detail: NOT_FOUND });
    if (err.status < 500) return reply.status(err.status).send({ detail: err.message });
  }
  const e = err;
  if (e.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError)
    return reply.status(400).send({ detail: `JSON parse error - ${err.message}` });
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return reply
      .status(415)
      .send({ detail: `Unsupported media type "${req.headers['content-type'] ?? ''}" in request.` });
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)
    return reply.status(e.statusCode).send({ detail: e.message });
  if (err instanceof StoreUnavailableError)
    return reply.status(503).send({ detail: 'Service temporarily unavailable, try again later.' });
  req.log.error({ err }, 'unhandled error in the seed 003 compatibility API');
  return reply.status(500).send({ detail: 'A server error occurred.' });
}
