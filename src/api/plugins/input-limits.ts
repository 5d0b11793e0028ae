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

const pointer = (path: string, key: string | number) =>
  `${path}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;

/** Parsed data only (objects of JSON, forms and query strings): a raw body (Buffer, stream) is not walked. */
function isPlain(v: object): boolean {
  return !ArrayBuffer.isView(v) && typeof (v as { pipe?: unknown }).pipe !== 'function';
}

/**
 * The first problem in a parsed value (JSON, form fields, query): nesting deeper than `maxDepth`
 * containers, or a string — value or key — with a NUL or a lone surrogate. Iterative, so that
 * the depth it guards against cannot overflow the check itself.
 */
export function inputProblem(value: unknown, maxDepth = MAX_JSON_DEPTH): RequestProblem | undefined {
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: '', depth: 0 }];
  for (let top = stack.pop(); top; top = stack.pop()) {
    const { v, path, depth } = top;
    if (typeof v === 'string') {
      const p = textProblem(v);
      if (p) return { path, message: p };
      continue;
    }
    if (typeof v !== 'object' || v === null || !(Array.isArray(v) || isPlain(v))) continue;
    if (depth >= maxDepth) return { path, message: `nests deeper than ${maxDepth} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: pointer(path, i), depth: depth + 1 });
      continue;
    }
    for (const [k, child] of Object.entries(v)) {
      const p = textProblem(k);
      if (p) return { path, message: `has a field name that ${p}` };
      stack.push({ v: child, path: pointer(path, k), depth: depth + 1 });
    }
  }
  return undefined;
}

/** Throws HERALD_VALIDATION when `value` breaks a limit; `where` names the request part. */
export function checkInput(value: unknown, where: ProblemLocation = 'body'): void {
  const p = inputProblem(value);
  if (p) throw invalidRequest([{ ...p, in: where }]);
}

/**
 * A preValidation hook for every route: the parsed body (whatever parser made it), the query and
 * the path parameters. Raw bodies (Buffers, streams) are checked by the handler that parses them.
 */
export async function checkRequestInput(req: FastifyRequest): Promise<void> {
  checkInput(req.params, 'path');
  checkInput(req.query, 'query');
  checkInput(req.body, 'body');
}
