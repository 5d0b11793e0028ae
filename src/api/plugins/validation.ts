import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import type { SchemaLookup } from './validation-messages.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

type Schema = Record<string, unknown>;

/**
 * Two validators: bodies are checked strictly (a number is not a string: wrong types are a 400),
 * while querystring, params and headers coerce from text as usual (`?limit=10`).
 * Schemas are compiled once per route; no `$id`s inside route schemas (they would collide): named
 * schemas are `shared` (app.addSchema, referenced by `$ref`) and known to both validators.
 * `verbose` keeps each error's data and schema for the error messages (validation-messages.ts);
 * `discriminator` makes a `oneOf` by `channel` check only the chosen branch.
 */
function makeAjv(opts: Options, shared: readonly Schema[]): Ajv {
  const ajv = addFormats(
    new Ajv({
      allErrors: true,
      removeAdditional: false,
      useDefaults: true,
      strict: false,
      verbose: true,
      discriminator: true,
      ...opts,
    }),
  );
  for (const s of shared) ajv.addSchema(withoutMappings(s));
  return ajv;
}

export function validatorCompiler(shared: readonly Schema[] = []): FastifySchemaCompiler<unknown> {
  const strict = makeAjv({ coerceTypes: false }, shared);
  const coercing = makeAjv({ coerceTypes: 'array' }, shared);
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(withoutMappings(schema as Schema));
}

/** The shared schemas by `$id`, for the error messages. */
export function sharedLookup(shared: readonly Schema[]): SchemaLookup {
  const byId = new Map(shared.map((s) => [String(s.$id), s]));
  return (ref) => byId.get(ref);
}

/**
 * OpenAPI's `discriminator.mapping` names the branch schemas for documentation tools; Ajv refuses
 * it ("mapping is not supported") and needs only the `const` of each branch. A copy without it.
 */
export function withoutMappings<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map(withoutMappings) as T;
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema)) {
    if (k === 'discriminator' && v && typeof v === 'object') {
      out[k] = { propertyName: (v as Schema).propertyName };
    } else out[k] = withoutMappings(v);
  }
  return out as T;
}
