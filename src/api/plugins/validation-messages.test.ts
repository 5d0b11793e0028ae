import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Type } from '@sinclair/typebox';
import { validatorCompiler } from './validation.ts';
import { ajvProblems } from './validation-messages.ts';

/** The sentences for a body that fails `schema`. */
function problems(schema: object, body: unknown): string[] {
  const validate = validatorCompiler()({ schema, httpPart: 'body', method: 'POST', url: '/' }) as {
    (d: unknown): boolean;
    errors: never[];
  };
  assert.equal(validate(body), false);
  return ajvProblems(validate.errors, 'body').map((p) => `${p.path} ${p.message}`);
}

test('a union of literals is one sentence listing the values', () => {
  const schema = Type.Object({ kind: Type.Union([Type.Literal('a'), Type.Literal('b')]) });
  assert.deepEqual(problems(schema, { kind: 'c' }), ['/kind must be one of: a, b (got "c")']);
});

test('a nullable field says "or null"', () => {
  const schema = Type.Object({ at: Type.Union([Type.String(), Type.Null()]) });
  assert.deepEqual(problems(schema, { at: 5 }), ['/at must be a string or null (got the number 5)']);
});

test('limits on lists, strings and numbers', () => {
  const schema = Type.Object({
    xs: Type.Array(Type.Integer(), { minItems: 2 }),
    s: Type.String({ maxLength: 3 }),
    n: Type.Integer({ minimum: 1 }),
  });
  assert.deepEqual(problems(schema, { xs: [1], s: 'abcd', n: 0.5 }), [
    '/xs must have at least 2 items (got 1)',
    '/s must be at most 3 characters long (got 4 characters)',
    '/n must be an integer (got the number 0.5)',
    '/n must be at least 1 (got the number 0.5)',
  ]);
});

test('a pattern with x-expected reads in words; without it, the pattern is shown', () => {
  const schema = Type.Object({
    at: Type.String({ pattern: '^\\d\\d:\\d\\d$', 'x-expected': 'a time as HH:MM' }),
    code: Type.String({ pattern: '^[A-Z]+$' }),
  });
  assert.deepEqual(problems(schema, { at: '9am', code: 'x' }), [
    '/at must be a time as HH:MM (got "9am")',
    '/code must be text matching ^[A-Z]+$ (got "x")',
  ]);
});

test('what was given is short: long strings are cut, containers named', () => {
  const schema = Type.Object({ a: Type.Integer(), b: Type.Integer(), c: Type.Integer() });
  const [a, b, c] = problems(schema, { a: 'x'.repeat(100), b: [1, 2], c: { k: 1 } });
  assert.match(a!, /\(got "x{57}"… \(100 characters\)\)$/);
  assert.equal(b, '/b must be an integer (got a list of 2 items)');
  assert.equal(c, '/c must be an integer (got an object)');
});
