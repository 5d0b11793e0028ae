import { test } from 'node:test';
import assert from 'node:assert/strict';
import { uuidv7 } from '../../../domain/ids.ts';
import { fbrqMessageId } from './msg-id.ts';

test('the probe message id is stable, positive and fits in int64', () => {
  const id = '0192f2a0-7c1e-7a3b-9c4d-5e6f7a8b9c0d';
  const n = fbrqMessageId(id);
  assert.equal(n, fbrqMessageId(id));
  assert.ok(n > 0n && n <= 0x7fff_ffff_ffff_ffffn);
  // Pinned so that a change of derivation (which would orphan in-flight messages) fails loudly.
  assert.equal(n.toString(), '7677314073965610663');
});

test('ids made in the same millisecond map to different numbers', () => {
  const seen = new Set<bigint>();
  for (let i = 0; i < 10_000; i++) seen.add(fbrqMessageId(uuidv7(1_700_000_000_000)));
  assert.equal(seen.size, 10_000);
});
