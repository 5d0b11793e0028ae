/**
 * Limits on what any request may carry, checked before a handler sees it (issue 9): JSON nested
 * deeper than MAX_JSON_DEPTH (deep values overflow the stack of JSON.stringify and of recursive
 * code later), and text with a NUL character or a lone UTF-16 surrogate (PostgreSQL refuses
 * `\u0000` in text and JSON; a lone surrogate is not Unicode and becomes U+FFFD or an error
 * depending on the store). Both stores refuse the same input, with a 400 naming the field.
 */
import type { FastifyRequest } from 'fastify';
import { invalidRequest, type ProblemLocation, type RequestProblem } from '../../errors/validation.ts';

export const MAX_JSON_DEPTH = 64;

/** What is wrong with one string, or undefined. */
function textProblem(s: string): string | undefined {
  if (s.includes('\u0000')) return 'contains a NUL character (\\u0000), which Herald does not accept';
  if (!s.isWellFormed()) return 'contains a lone UTF-16 surrogate, which is not valid Unicode';
  return undefined;
}

/** Parsed data only (objects of JSON, forms and query strings): a raw body (Buffer, stream) is not walked. */
function isPlain(v: object): boolean {
  return !ArrayBuffer.isView(v) && typeof (v as { pipe?: unknown }).pipe !== 'function';
}

/** A problem found below the top, with the keys that lead to it (innermost first). */
interface Found {
  keys: (string | number)[];
  message: string;
}

/**
 * Depth-first, stopping at `maxDepth`: the recursion itself is bounded by the limit it enforces.
 * Paths are built only for the problem found (this runs on every request).
 */
function walk(v: unknown, depth: number, maxDepth: number): Found | undefined {
  if (typeof v === 'string') {
    const message = textProblem(v);
    return message ? { keys: [], message } : undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  if (depth >= maxDepth) return { keys: [], message: `nests deeper than ${maxDepth} levels` };
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const found = walk(v[i], depth + 1, maxDepth);
      if (found) return (found.keys.push(i), found);
    }
    return undefined;
  }
  if (!isPlain(v)) return undefined;
  // for…in with an own-key check: no array of keys per object (this walks every request's body).
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    const bad = textProblem(k);
    if (bad) return { keys: [], message: `has a field name that ${bad}` };
    const found = walk((v as Record<string, unknown>)[k], depth + 1, maxDepth);
    if (found) return (found.keys.push(k), found);
  }
  return undefined;
}

/**
 * The first problem in a parsed value (JSON, form fields, query): nesting deeper than `maxDepth`
 * containers, or a string — value or key — with a NUL or a lone surrogate.
 */
export function inputProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): RequestProblem | undefined {
  const found = walk(value, 0, maxDepth);
  if (!found) return undefined;
  const path = found.keys
    .reverse()
    .map((k) => `/${String(k).replace(/~/g, '~0').replace(/\//g, '~1')}`)
    .join('');
  return { path, message: found.message };
}

/** Throws HERALD_VALIDATION when `value` breaks a limit; `where` names the request part. */
export function checkInput(value: unknown, where: ProblemLocation = 'body'): void {
  const p = inputProblem(value);
  if (p) throw invalidRequest([{ ...p, in: where }]);
}

/**
 * A preValidation hook for every route: the parsed body (whatever parser made it), the query and
 * the path parameters. Raw bodies (Buffers, streams) are checked by the handler that parses them.
 * Callback style: it never waits, so it costs no promise per request (a throw is Fastify's error).
 */
export function checkRequestInput(req: FastifyRequest, _reply: unknown, done: () => void): void {
  checkInput(req.params, 'path');
  checkInput(req.query, 'query');
  checkInput(req.body, 'body');
  done();
}
