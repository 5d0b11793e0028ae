/**
 * Ajv's errors → one plain sentence per problem: the field, what was expected (allowed values,
 * types, limits) and what was given. Needs Ajv's `verbose` (the data and the schema of each error).
 * Branch errors of `anyOf`/`oneOf` fold into one sentence about their union; a discriminated
 * `oneOf` (Ajv's `discriminator` option) reports only the chosen branch's problems.
 */
import type { ErrorObject } from 'ajv';
import { UUID_PATTERN } from '../../domain/ids.ts';
import type { ProblemLocation, RequestProblem } from '../../errors/validation.ts';

type Schema = Record<string, unknown>;
/** Finds a shared schema by its `$id` (for `$ref`s inside unions). */
export type SchemaLookup = (ref: string) => Schema | undefined;

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  null: 'null',
};

const FORMAT_WORDS: Record<string, string> = {
  'date-time': 'an ISO 8601 date-time such as 2030-01-31T09:00:00Z',
  date: 'a date such as 2030-01-31',
  time: 'a time such as 09:00:00Z',
  email: 'an e-mail address',
  uri: 'an absolute URL',
  url: 'an absolute URL',
  uuid: 'a UUID',
};

const PATTERN_WORDS: Record<string, string> = { [UUID_PATTERN]: 'a UUID' };

/** Fastify's name of a request part → ours. */
export function locationOf(context: string | undefined): ProblemLocation {
  if (context === 'querystring') return 'query';
  if (context === 'params') return 'path';
  if (context === 'headers') return 'header';
  return 'body';
}

export function ajvProblems(errors: readonly ErrorObject[], where: ProblemLocation, lookup?: SchemaLookup) {
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  // A union whose value has the type of exactly one branch (a string for `string | null`, an object
  // for `object | null`) reports that branch's own problems ("at most 6 characters"), not the union.
  const chosen = new Map<ErrorObject, string>();
  for (const u of unions) {
    const branch = branchOfType(u, errors);
    if (branch !== undefined) chosen.set(u, `${u.schemaPath}/${branch}/`);
  }
  const inUnion = (e: ErrorObject) =>
    unions.some(
      (u) =>
        u !== e &&
        e.schemaPath.startsWith(`${u.schemaPath}/`) &&
        !(chosen.has(u) && e.schemaPath.startsWith(chosen.get(u)!)),
    );
  const required = new Set(
    errors.filter((e) => e.keyword === 'required').map((e) => child(e.instancePath, missing(e))),
  );
  const out: RequestProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    if (chosen.has(e) || inUnion(e) || e.keyword === 'propertyNames' || e.keyword === 'if') continue;
    const p = problemOf(e, lookup);
    if (!p || (e.keyword === 'discriminator' && required.has(p.path) && p.message === 'is required')) continue;
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(where === 'body' ? p : { ...p, in: where });
  }
  return out;
}

/**
 * The one branch of a union that the value's type fits (its problems are not a type, const or enum
 * mismatch of the value itself), when there is exactly one; undefined otherwise.
 */
function branchOfType(u: ErrorObject, errors: readonly ErrorObject[]): string | undefined {
  if (u.data === null || u.data === undefined) return undefined;
  const branches = new Map<string, ErrorObject[]>();
  for (const e of errors) {
    if (e === u || !e.schemaPath.startsWith(`${u.schemaPath}/`)) continue;
    const b = e.schemaPath.slice(u.schemaPath.length + 1).split('/')[0]!;
    branches.set(b, [...(branches.get(b) ?? []), e]);
  }
  const mismatch = (e: ErrorObject) =>
    e.instancePath === u.instancePath && ['type', 'const', 'enum', 'anyOf', 'oneOf'].includes(e.keyword);
  const fitting = [...branches].filter(([, list]) => !list.some(mismatch));
  return fitting.length === 1 ? fitting[0]![0] : undefined;
}

function problemOf(e: ErrorObject, lookup: SchemaLookup | undefined): RequestProblem | undefined {
  const params = e.params as Record<string, unknown>;
  const path = e.instancePath;
  const got = ` (got ${given(e.data)})`;
  if (e.propertyName !== undefined) {
    return { path, message: `has a field name ${JSON.stringify(e.propertyName)} that is not ${expected(e)}` };
  }
  switch (e.keyword) {
    case 'required':
      return { path: child(path, missing(e)), message: 'is required' };
    case 'additionalProperties': {
      const known = Object.keys((e.parentSchema?.properties as Schema | undefined) ?? {});
      const hint = known.length > 0 ? ` (known fields: ${known.join(', ')})` : '';
      return { path: child(path, String(params.additionalProperty)), message: `is not a known field${hint}` };
    }
    case 'type':
      if (path === '' && e.data === undefined) return { path, message: `is required: send ${typeWords(params.type)}` };
      return { path, message: `must be ${typeWords(params.type)}${got}` };
    case 'enum':
      return { path, message: `must be one of: ${listOf(params.allowedValues as unknown[])}${got}` };
    case 'const':
      return { path, message: `must be ${JSON.stringify(params.allowedValue)}${got}` };
    case 'anyOf':
    case 'oneOf':
      return { path, message: `must be ${unionWords(e.schema, lookup)}${got}` };
    case 'discriminator': {
      const tag = String(params.tag);
      const value = (e.data as Schema | undefined)?.[tag];
      if (value === undefined) return { path: child(path, tag), message: 'is required' };
      const tags = branchesOf(e.parentSchema?.oneOf, lookup).flatMap((b) => tagValues(b, tag));
      const allowed = tags.length > 0 ? `one of: ${listOf(tags)}` : 'a known value';
      return { path: child(path, tag), message: `must be ${allowed} (got ${given(value)})` };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { path, message: `must be ${LIMIT_WORDS[e.keyword]} ${String(params.limit)}${got}` };
    case 'minLength':
    case 'maxLength':
      return {
        path,
        message: `must be ${e.keyword === 'minLength' ? 'at least' : 'at most'} ${plural(params.limit, 'character')} long (got ${plural(String(e.data).length, 'character')})`,
      };
    case 'minItems':
    case 'maxItems':
      return {
        path,
        message: `must have ${e.keyword === 'minItems' ? 'at least' : 'at most'} ${plural(params.limit, 'item')} (got ${Array.isArray(e.data) ? e.data.length : 0})`,
      };
    case 'minProperties':
    case 'maxProperties':
      return {
        path,
        message: `must have ${e.keyword === 'minProperties' ? 'at least' : 'at most'} ${plural(params.limit, 'field')}`,
      };
    case 'format':
    case 'pattern':
      return { path, message: `must be ${expected(e)}${got}` };
    default:
      return { path, message: e.message ?? 'is not valid' };
  }
}

const LIMIT_WORDS: Record<string, string> = {
  minimum: 'at least',
  maximum: 'at most',
  exclusiveMinimum: 'greater than',
  exclusiveMaximum: 'less than',
};

/** What a `format` or `pattern` asks for, in words: the schema's `x-expected`, a known name, or the pattern. */
function expected(e: ErrorObject): string {
  const words = e.parentSchema?.['x-expected'];
  if (typeof words === 'string') return words;
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'format') return FORMAT_WORDS[String(params.format)] ?? `in ${String(params.format)} format`;
  const pattern = String(params.pattern);
  return PATTERN_WORDS[pattern] ?? `text matching ${pattern}`;
}

function missing(e: ErrorObject): string {
  return String((e.params as Record<string, unknown>).missingProperty);
}

function child(path: string, name: string): string {
  return `${path}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type.map(String) : String(type).split(',');
  return types.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
}

function plural(n: unknown, word: string): string {
  return `${String(n)} ${word}${n === 1 ? '' : 's'}`;
}

function listOf(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}

/** What was given, briefly: strings quoted (and cut), numbers as they are, containers by kind. */
export function given(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string')
    return v.length > 60 ? `${JSON.stringify(v.slice(0, 57))}… (${v.length} characters)` : JSON.stringify(v);
  if (Array.isArray(v)) return `a list of ${plural(v.length, 'item')}`;
  if (v !== null && typeof v === 'object') return 'an object';
  return typeof v === 'number' ? `the number ${v}` : JSON.stringify(v);
}

function branchesOf(schemas: unknown, lookup: SchemaLookup | undefined): Schema[] {
  if (!Array.isArray(schemas)) return [];
  return schemas.map((s: Schema) => (typeof s.$ref === 'string' ? (lookup?.(s.$ref) ?? s) : s));
}

function tagValues(branch: Schema, tag: string): unknown[] {
  const prop = (branch.properties as Record<string, Schema> | undefined)?.[tag];
  if (!prop) return [];
  if ('const' in prop) return [prop.const];
  return Array.isArray(prop.enum) ? prop.enum : [];
}

/** A union in words: "one of: a, b" (constants), "a string or null", or each branch's title. */
function unionWords(branches: unknown, lookup: SchemaLookup | undefined): string {
  const all = branchesOf(branches, lookup);
  if (all.length > 0 && all.every((b) => 'const' in b)) return `one of: ${listOf(all.map((b) => b.const))}`;
  const words = all.map((b) => {
    if ('const' in b) return JSON.stringify(b.const);
    if (Array.isArray(b.enum)) return `one of ${listOf(b.enum)}`;
    if (typeof b.title === 'string') return b.title;
    if (b.type !== undefined) return typeWords(b.type);
    return 'an allowed form';
  });
  return [...new Set(words)].join(' or ');
}
