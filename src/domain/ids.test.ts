import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uuidv7, isUuid } from './ids.ts';

test('uuidv7 ids are valid, version 7, and increase within one millisecond', () => {
  const ids = Array.from({ length: 5000 }, () => uuidv7(1_700_000_000_000));
  for (const id of ids) {
    assert.ok(isUuid(id), id);
    assert.equal(id[14], '7');
    assert.ok('89ab'.includes(id[19]!), id);
  }
  const sorted = [...ids].sort();
  assert.deepEqual(sorted, ids);
  assert.equal(new Set(ids).size, ids.length);
});

test('uuidv7 carries its timestamp', () => {
  const id = uuidv7(Date.UTC(2030, 0, 1));
  const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
  assert.ok(ms >= Date.UTC(2030, 0, 1));
});
