import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROVIDER_SCHEMAS } from './schemas.ts';
import { PROVIDER_TYPES } from './types.ts';

test('every adapter has its options schema, and checks its options with it', () => {
  assert.deepEqual(Object.keys(PROVIDER_SCHEMAS).sort(), Object.keys(PROVIDER_TYPES).sort());
  for (const [type, adapter] of Object.entries(PROVIDER_TYPES)) {
    const schema = PROVIDER_SCHEMAS[type]!;
    assert.equal(adapter.validate, schema.validate, type);
    assert.deepEqual(adapter.channels, schema.channels, type);
  }
});
