import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bearerSecret } from './auth.ts';

test('bearerSecret reads the exact form and every other form the Bearer rule allows', () => {
  const cases: [string | undefined, string | undefined][] = [
    ['Bearer hk_abc', 'hk_abc'],
    ['bearer hk_abc', 'hk_abc'],
    ['BEARER  hk_abc ', 'hk_abc'],
    ['Bearer\thk_abc', 'hk_abc'],
    ['Bearer hk_abc\u00a0', 'hk_abc'],
    ['Bearer hk_abc \t', 'hk_abc'],
    ['Bearer hk a', undefined],
    ['Bearer ', undefined],
    ['Bearer', undefined],
    ['Bearerhk_abc', undefined],
    ['Basic aGs6', undefined],
    ['', undefined],
    [undefined, undefined],
  ];
  for (const [header, secret] of cases) assert.equal(bearerSecret(header), secret, JSON.stringify(header));
});
