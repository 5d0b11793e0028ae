import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runShutdown } from './shutdown.ts';

test('every step runs, in order, even after one throws; the failures are thrown together', async () => {
  const ran: string[] = [];
  const step = (name: string, fail = false) =>
    [
      name,
      async () => {
        ran.push(name);
        if (fail) throw new Error(`${name} broke`);
      },
    ] as const;
  await assert.rejects(
    runShutdown([step('http'), step('worker', true), step('agent'), step('stats', true), step('store')]),
    (err: unknown) => {
      assert.ok(err instanceof AggregateError);
      assert.deepEqual(
        err.errors.map((e: Error) => e.message),
        ['worker: worker broke', 'stats: stats broke'],
      );
      return true;
    },
  );
  assert.deepEqual(ran, ['http', 'worker', 'agent', 'stats', 'store']);
});

test('a clean shutdown resolves', async () => {
  await runShutdown([['a', () => undefined]]);
});
