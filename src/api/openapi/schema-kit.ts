/**
 * Small TypeBox helpers for schemas that read well in OpenAPI: string enums as `enum` (not
 * `anyOf` of constants), named schemas referenced by `$ref` (components in the document), and the
 * one error shape of the native API.
 */
import { Type, type SchemaOptions, type Static, type TSchema } from '@sinclair/typebox';

/** A string that is one of `values`, as `{"type":"string","enum":[…]}`. */
export function StringEnum<const T extends readonly string[]>(values: T, options: SchemaOptions = {}) {
  return Type.Unsafe<T[number]>({ ...options, type: 'string', enum: [...values] });
}

/** A `$ref` to a named schema (one with `$id`, added with app.addSchema), typed as that schema. */
export function Named<T extends TSchema>(schema: T) {
  if (!schema.$id) throw new Error('Named() needs a schema with an $id');
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id));
}

export const ErrorDefinition = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable error code (docs/errors.md)', examples: ['HERALD_VALIDATION'] }),
      message: Type.String({
        description: 'What went wrong, one sentence per problem',
        examples: ['The request is not valid: to is required.'],
      }),
      details: Type.Optional(
        Type.Unknown({ description: 'Validation errors: the problems, each with path and message' }),
      ),
    }),
  },
  { $id: 'Error', title: 'Error', description: 'The one error shape of the native API' },
);

/** Responses reference the named error schema. */
export const ErrorSchema = Named(ErrorDefinition);
