import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Two validators: bodies are checked strictly (a number is not a string: wrong types are a 400),
 * while querystring, params and headers coerce from text as usual (`?limit=10`).
 * Schemas are compiled once per route; no `$id`s inside route schemas (they would collide).
 */
function makeAjv(opts: Options): Ajv {
  return addFormats(new Ajv({ allErrors: true, removeAdditional: false, useDefaults: true, strict: false, ...opts }));
}

export function validatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = makeAjv({ coerceTypes: false });
  const coercing = makeAjv({ coerceTypes: 'array' });
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object);
}
