import { Liquid, type Template } from 'liquidjs';

/**
 * The template engine: Liquid (liquidjs), sandboxed. Templates see only the data they are given
 * (own properties: no prototype or JS access), cannot include files (an empty in-memory file
 * map), and have parse, render-time and memory limits. Variables are strict: a variable the data
 * lacks is an error, so a message is refused at accept time rather than sent with a blank.
 * HTML bodies escape every output by default (`{{ x | raw }}` opts out); text does not.
 */
const LIMITS = { parseLimit: 1_000_000, renderLimit: 1000, memoryLimit: 20_000_000 };
const base = {
  strictVariables: true,
  strictFilters: true,
  ownPropertyOnly: true,
  templates: {},
  cache: false,
  ...LIMITS,
};
const textEngine = new Liquid(base);
const htmlEngine = new Liquid({ ...base, outputEscape: 'escape' });

export type TemplateKind = 'text' | 'html';

/** Parsed templates by kind and source, so a campaign parses its template once, not per contact. */
const parsed = new Map<string, Template[]>();
const MAX_PARSED = 500;

function parse(kind: TemplateKind, source: string): Template[] {
  const key = `${kind}\u0000${source}`;
  let t = parsed.get(key);
  if (!t) {
    t = (kind === 'html' ? htmlEngine : textEngine).parse(source);
    if (parsed.size >= MAX_PARSED) parsed.delete(parsed.keys().next().value!);
    parsed.set(key, t);
  }
  return t;
}

/** A parse or render failure, in words a template author can act on. */
export class TemplateError extends Error {
  /** The variable the data lacks (strict variables), when that is the failure. */
  readonly variable: string | undefined;
  /** `line 1, col 17`, when liquidjs says where. */
  readonly where: string | undefined;
  constructor(message: string, variable?: string, where?: string) {
    super(message);
    this.name = 'TemplateError';
    this.variable = variable;
    this.where = where;
  }
}

function explain(err: unknown): TemplateError {
  const e = err as Error & { name?: string };
  const msg = String(e.message ?? e).replace(/\s+/g, ' ');
  const at = /,? line:(\d+), col:(\d+)$/.exec(msg);
  const where = at ? `line ${at[1]}, col ${at[2]}` : undefined;
  const text = at ? msg.slice(0, at.index) : msg;
  if (e.name === 'UndefinedVariableError') {
    const variable = text.replace(/^undefined variable: /, '');
    return new TemplateError(`the data has no ${variable}${where ? ` (${where})` : ''}`, variable, where);
  }
  return new TemplateError(`${text}${where ? ` (${where})` : ''}`, undefined, where);
}

/** Throws TemplateError when the source is not valid Liquid. */
export function checkSyntax(kind: TemplateKind, source: string): void {
  try {
    parse(kind, source);
  } catch (err) {
    throw explain(err);
  }
}

/** Renders synchronously (no async filters or includes exist); throws TemplateError. */
export function render(kind: TemplateKind, source: string, data: Record<string, unknown>): string {
  try {
    const engine = kind === 'html' ? htmlEngine : textEngine;
    return engine.renderSync(parse(kind, source), data) as string;
  } catch (err) {
    throw explain(err);
  }
}
