import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handleRpc, invalidParams, MAX_BATCH, namedParams, type RpcMethod } from './jsonrpc.ts';

/** The methods of the examples in §7 of the JSON-RPC 2.0 specification. */
const calls: string[] = [];
const methods = new Map<string, RpcMethod>([
  [
    'subtract',
    async (p) => {
      calls.push('subtract');
      if (Array.isArray(p)) return { ok: true, result: (p[0] as number) - (p[1] as number) };
      const o = p as { minuend: number; subtrahend: number };
      return { ok: true, result: o.minuend - o.subtrahend };
    },
  ],
  ['sum', async (p) => ({ ok: true, result: (p as number[]).reduce((a, b) => a + b, 0) })],
  ['update', async () => (calls.push('update'), { ok: true, result: null })],
  ['notify_hello', async () => (calls.push('notify_hello'), { ok: true, result: null })],
  ['get_data', async () => ({ ok: true, result: ['hello', 5] })],
  ['needs_params', async () => invalidParams('Invalid params: x is required')],
  [
    'boom',
    async () => {
      throw new Error('secret detail');
    },
  ],
]);

const rpc = (body: unknown) => handleRpc(typeof body === 'string' ? body : JSON.stringify(body), methods);

void test('§7: positional and named parameters', async () => {
  assert.deepEqual(await rpc({ jsonrpc: '2.0', method: 'subtract', params: [42, 23], id: 1 }), {
    jsonrpc: '2.0',
    result: 19,
    id: 1,
  });
  assert.deepEqual(await rpc({ jsonrpc: '2.0', method: 'subtract', params: [23, 42], id: 2 }), {
    jsonrpc: '2.0',
    result: -19,
    id: 2,
  });
  assert.deepEqual(
    await rpc({ jsonrpc: '2.0', method: 'subtract', params: { subtrahend: 23, minuend: 42 }, id: 'abc' }),
    { jsonrpc: '2.0', result: 19, id: 'abc' },
  );
  assert.deepEqual(await rpc({ jsonrpc: '2.0', method: 'get_data', id: null }), {
    jsonrpc: '2.0',
    result: ['hello', 5],
    id: null,
  });
});

void test('§7: notifications run and answer nothing, even for unknown methods', async () => {
  calls.length = 0;
  assert.equal(await rpc({ jsonrpc: '2.0', method: 'update', params: [1, 2, 3, 4, 5] }), undefined);
  assert.equal(await rpc({ jsonrpc: '2.0', method: 'foobar' }), undefined);
  assert.deepEqual(calls, ['update']);
});

void test('§7: errors', async () => {
  assert.deepEqual(await rpc({ jsonrpc: '2.0', method: 'foobar', id: '1' }), {
    jsonrpc: '2.0',
    error: { code: -32601, message: 'Method not found' },
    id: '1',
  });
  assert.deepEqual(await rpc('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]'), {
    jsonrpc: '2.0',
    error: { code: -32700, message: 'Parse error' },
    id: null,
  });
  const invalid = (await rpc({ jsonrpc: '2.0', method: 1, params: 'bar' })) as { error: { code: number }; id: unknown };
  assert.equal(invalid.error.code, -32600);
  assert.equal(invalid.id, null);
  const badBatch = await rpc(
    '[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method"]',
  );
  assert.equal((badBatch as { error: { code: number } }).error.code, -32700);
  const empty = (await rpc([])) as { error: { code: number }; id: unknown };
  assert.equal(empty.error.code, -32600);
  assert.equal(empty.id, null);
  const ones = (await rpc([1])) as { error: { code: number }; id: unknown }[];
  assert.equal(ones.length, 1);
  assert.equal(ones[0]!.error.code, -32600);
  const three = (await rpc([1, 2, 3])) as { error: { code: number } }[];
  assert.deepEqual(
    three.map((r) => r.error.code),
    [-32600, -32600, -32600],
  );
});

void test('§7: a mixed batch answers in order, without entries for notifications', async () => {
  const out = (await rpc([
    { jsonrpc: '2.0', method: 'sum', params: [1, 2, 4], id: '1' },
    { jsonrpc: '2.0', method: 'notify_hello', params: [7] },
    { jsonrpc: '2.0', method: 'subtract', params: [42, 23], id: '2' },
    { foo: 'boo' },
    { jsonrpc: '2.0', method: 'foo.get', params: { name: 'myself' }, id: '5' },
    { jsonrpc: '2.0', method: 'get_data', id: '9' },
  ])) as { id: unknown; result?: unknown; error?: { code: number } }[];
  assert.deepEqual(out, [
    { jsonrpc: '2.0', result: 7, id: '1' },
    { jsonrpc: '2.0', result: 19, id: '2' },
    { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request: jsonrpc must be "2.0"' }, id: null },
    { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: '5' },
    { jsonrpc: '2.0', result: ['hello', 5], id: '9' },
  ]);
  assert.equal(
    await rpc([
      { jsonrpc: '2.0', method: 'notify_sum', params: [1, 2, 4] },
      { jsonrpc: '2.0', method: 'notify_hello', params: [7] },
    ]),
    undefined,
  );
});

void test('invalid requests: bad id, version, params; id echoed when it was valid', async () => {
  const r = async (b: unknown) => (await rpc(b)) as { error: { code: number; message: string }; id: unknown };
  assert.deepEqual((await r({ jsonrpc: '2.0', method: 'sum', id: { x: 1 } })).id, null);
  assert.equal((await r({ jsonrpc: '2.0', method: 'sum', id: { x: 1 } })).error.code, -32600);
  assert.equal((await r({ jsonrpc: '2.0', method: 'sum', id: true })).error.code, -32600);
  const v1 = await r({ jsonrpc: '1.0', method: 'sum', params: [1], id: 7 });
  assert.equal(v1.error.code, -32600);
  assert.equal(v1.id, 7);
  assert.equal((await r({ method: 'sum', params: [1], id: 7 })).error.code, -32600);
  assert.equal((await r({ jsonrpc: '2.0', method: 'sum', params: 3, id: 7 })).error.code, -32600);
  assert.equal((await r({ jsonrpc: '2.0', method: 'sum', params: null, id: 7 })).error.code, -32600);
  assert.equal((await r('"just a string"')).error.code, -32600);
  assert.equal((await r('null')).error.code, -32600);
  assert.equal((await r('')).error.code, -32700);
  assert.equal((await r({ jsonrpc: '2.0', method: '__proto__', id: 1 })).error.code, -32601);
  assert.equal((await r({ jsonrpc: '2.0', method: 'toString', id: 1 })).error.code, -32601);
});

void test('invalid params and thrown errors keep the id; internals stay hidden', async () => {
  const seen: unknown[] = [];
  const a = await handleRpc('{"jsonrpc":"2.0","method":"needs_params","id":4}', methods);
  assert.deepEqual(a, { jsonrpc: '2.0', error: { code: -32602, message: 'Invalid params: x is required' }, id: 4 });
  const b = await handleRpc('{"jsonrpc":"2.0","method":"boom","id":5}', methods, {
    onInternalError: (err) => seen.push(err),
  });
  assert.deepEqual(b, { jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: 5 });
  assert.equal(seen.length, 1);
});

void test('a batch larger than the cap is one Invalid Request', async () => {
  const big = Array.from({ length: MAX_BATCH + 1 }, (_, i) => ({ jsonrpc: '2.0', method: 'sum', params: [i], id: i }));
  const r = (await rpc(big)) as { error: { code: number } };
  assert.equal(r.error.code, -32600);
});

void test('namedParams: an object, or an array of one object (gorilla json2)', () => {
  assert.deepEqual(namedParams({ a: 1 }), { a: 1 });
  assert.deepEqual(namedParams([{ a: 1 }]), { a: 1 });
  assert.deepEqual(namedParams(undefined), {});
  assert.equal(namedParams([1, 2]), undefined);
  assert.equal(namedParams([]), undefined);
});
