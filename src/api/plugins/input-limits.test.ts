import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { inputProblem, MAX_JSON_DEPTH } from './input-limits.ts';

const nest = (n: number): unknown => JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`);

test('64 levels pass, 65 do not; a value 100,000 deep is refused without overflowing the stack', () => {
  assert.equal(inputProblem(nest(MAX_JSON_DEPTH)), undefined);
  const p = inputProblem(nest(MAX_JSON_DEPTH + 1));
  assert.equal(p?.message, 'nests deeper than 64 levels');
  assert.equal(p?.path, '/0'.repeat(MAX_JSON_DEPTH));
  assert.equal(inputProblem(nest(100_000))?.message, 'nests deeper than 64 levels');
});

test('NUL and lone surrogates in values and keys, with the path (JSON pointer escaped)', () => {
  assert.deepEqual(inputProblem({ a: [{ 'b/c~': 'x\u0000' }] }), {
    path: '/a/0/b~1c~0',
    message: 'contains a NUL character (\\u0000), which Herald does not accept',
  });
  assert.equal(inputProblem({ a: '\uDC00' })?.path, '/a');
  assert.equal(
    inputProblem({ ['k\uD800']: 1 })?.message,
    'has a field name that contains a lone UTF-16 surrogate, which is not valid Unicode',
  );
  assert.equal(inputProblem({ ok: 'an emoji 😀 is a proper pair' }), undefined);
});

test('raw bodies are left to the handler that parses them', () => {
  assert.equal(inputProblem(Buffer.from('\u0000')), undefined);
  assert.equal(inputProblem(Readable.from(['x'])), undefined);
  assert.equal(inputProblem(null), undefined);
});
