import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit } from './group-commit.ts';
import { StoreUnavailableError } from '../store/faults.ts';

test('items submitted in one turn are flushed together, and each gets its own result', async () => {
  const groups: number[][] = [];
  const gc = new GroupCommit<number, number>(async (items) => {
    groups.push(items);
    return items.map((i) => i * 2);
  });
  const results = await Promise.all([1, 2, 3].map((i) => gc.submit(i)));
  assert.deepEqual(results, [2, 4, 6]);
  assert.deepEqual(groups, [[1, 2, 3]]);
});

test('items arriving during a flush form the next group', async () => {
  const groups: number[][] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const gc = new GroupCommit<number, number>(async (items) => {
    groups.push(items);
    if (groups.length === 1) await gate;
    return items;
  });
  const first = gc.submit(1);
  await new Promise((r) => setImmediate(r));
  const later = [gc.submit(2), gc.submit(3)];
  release();
  await Promise.all([first, ...later]);
  assert.deepEqual(groups, [[1], [2, 3]]);
});

test('a failed flush rejects nobody else: the group is split down to the item at fault', async () => {
  const flushes: number[][] = [];
  const gc = new GroupCommit<number, number>(async (items) => {
    flushes.push(items);
    if (items.includes(13)) throw new RangeError('Maximum call stack size exceeded');
    return items;
  });
  const settled = await Promise.allSettled(Array.from({ length: 21 }, (_, i) => gc.submit(i)));
  const rejected = settled.flatMap((r, i) => (r.status === 'rejected' ? [i] : []));
  assert.deepEqual(rejected, [13]);
  assert.deepEqual(
    settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])),
    Array.from({ length: 21 }, (_, i) => i).filter((i) => i !== 13),
  );
  // One bad item among n costs about 2·log2(n) extra flushes, not n.
  assert.ok(flushes.length <= 1 + 2 * Math.ceil(Math.log2(21)), `${flushes.length} flushes`);
});

test('a fault of the database fails the whole group at once, and the next group still runs', async () => {
  let calls = 0;
  const gc = new GroupCommit<number, number>(async (items) => {
    if (calls++ === 0) throw new StoreUnavailableError('full', new Error('database or disk is full'));
    return items;
  });
  const bad = await Promise.allSettled([gc.submit(1), gc.submit(2), gc.submit(3)]);
  assert.ok(bad.every((r) => r.status === 'rejected' && r.reason instanceof StoreUnavailableError));
  assert.equal(calls, 1, 'no split: every item would fail the same way');
  assert.equal(await gc.submit(4), 4);
});

test('maxItems splits a large group', async () => {
  const sizes: number[] = [];
  const gc = new GroupCommit<number, number>(async (items) => {
    sizes.push(items.length);
    return items;
  }, 10);
  await Promise.all(Array.from({ length: 25 }, (_, i) => gc.submit(i)));
  assert.deepEqual(sizes, [10, 10, 5]);
});

test('pipelined: up to maxInFlight flushes run at once; items arriving meanwhile start the next one', async () => {
  const groups: number[][] = [];
  const gates: (() => void)[] = [];
  let open = 0;
  let most = 0;
  const gc = new GroupCommit<number, number>(
    async (items) => {
      groups.push(items);
      open++;
      most = Math.max(most, open);
      await new Promise<void>((r) => gates.push(r));
      open--;
      return items;
    },
    5000,
    3,
  );
  const all: Promise<number>[] = [];
  for (let wave = 0; wave < 5; wave++) {
    all.push(gc.submit(wave * 10), gc.submit(wave * 10 + 1));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
  }
  assert.equal(gc.inFlight, 3, 'three transactions open, none waiting for another');
  assert.deepEqual(groups, [
    [0, 1],
    [10, 11],
    [20, 21],
  ]);
  // Items that found every slot taken wait together; the first slot freed takes them as one group.
  for (let i = 0; i < 100 && (groups.length < 4 || gates.length > 0); i++) {
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  assert.deepEqual(groups[3], [30, 31, 40, 41]);
  assert.deepEqual(await Promise.all(all), [0, 1, 10, 11, 20, 21, 30, 31, 40, 41]);
  assert.equal(most, 3);
  await gc.drain();
  assert.equal(gc.inFlight, 0);
});

test('pipelined: a bad item is isolated within its own group; the groups beside it commit', async () => {
  const flushes: number[][] = [];
  const gc = new GroupCommit<number, number>(
    async (items) => {
      flushes.push(items);
      await new Promise((r) => setImmediate(r));
      if (items.includes(13)) throw new TypeError('cannot serialise');
      return items;
    },
    5000,
    4,
  );
  const all: Promise<number>[] = [];
  for (let wave = 0; wave < 4; wave++) {
    for (let i = 0; i < 8; i++) all.push(gc.submit(wave * 8 + i));
    await new Promise((r) => setImmediate(r));
  }
  const settled = await Promise.allSettled(all);
  assert.deepEqual(
    settled.flatMap((r, i) => (r.status === 'rejected' ? [i] : [])),
    [13],
  );
  assert.ok(
    flushes.some((f) => f.length === 1 && f[0] === 13),
    'split down to the item',
  );
  assert.ok(flushes.filter((f) => !f.includes(13)).length >= 3, 'the other groups committed whole');
});
