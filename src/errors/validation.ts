import { AppError } from './app-error.ts';

/** Where a problem sits in the request. */
export type ProblemLocation = 'body' | 'query' | 'path' | 'header';

/**
 * One problem with a request: `path` is a JSON pointer into its part (`/messages/0/to`; '' is the
 * whole part), `message` completes a sentence about that field ("is required").
 */
export interface RequestProblem {
  path: string;
  message: string;
  in?: ProblemLocation | undefined;
}

/** The one prefix of every validation message, native and compatibility routes alike. */
export const VALIDATION_PREFIX = 'The request is not valid:';

/**
 * How a field reads in a sentence: body fields as `messages[0].to`, the others with their part
 * (`query parameter state`, `path parameter id`, `header idempotency-key`).
 */
export function describeField(path: string, where: ProblemLocation = 'body'): string {
  const segments = path
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (where !== 'body') {
    const label = { query: 'query parameter', path: 'path parameter', header: 'header' }[where];
    return segments.length > 0 ? `${label} ${segments.join('.')}` : `the ${label}s`;
  }
  if (segments.length === 0) return 'the body';
  // A very deep path (a value nested too deeply) keeps its start and end.
  const shown = segments.length > 8 ? [...segments.slice(0, 4), '…', ...segments.slice(-2)] : segments;
  return shown.reduce((out, s) => (/^\d+$/.test(s) ? `${out}[${s}]` : out ? `${out}.${s}` : s), '');
}

/** One plain sentence per problem: "messages[0].to is required." */
export function problemSentence(p: RequestProblem): string {
  return `${describeField(p.path, p.in)} ${p.message}.`;
}

/**
 * The HERALD_VALIDATION error for a list of problems: the message has one sentence per problem
 * after one prefix, `details` the problems themselves (path, message, and `in` when not the body).
 */
export function invalidRequest(problems: readonly RequestProblem[]): AppError {
  const details = problems.map((p) => (p.in && p.in !== 'body' ? p : { path: p.path, message: p.message }));
  return new AppError('HERALD_VALIDATION', `${VALIDATION_PREFIX} ${problems.map(problemSentence).join(' ')}`, details);
}
