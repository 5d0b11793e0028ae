import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from './config.ts';
import { parseDuration } from './durations.ts';

test('defaults: port 3000, embedded SQLite, Svix-like retry schedule, private networks refused', () => {
  const c = loadConfig({});
  assert.equal(c.port, 3000);
  assert.equal(c.databaseUrl, 'sqlite:./data/herald.db');
  assert.deepEqual(
    c.worker.retry.scheduleMs,
    [0, 5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000],
  );
  assert.equal(c.worker.retry.maxAttempts, 8);
  assert.equal(c.network.allowPrivate, false);
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.worker));
});

test('every problem is reported at once', () => {
  try {
    loadConfig({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      HERALD_RETRY_SCHEDULE: '1s,soon',
      HERALD_ALLOW_PRIVATE_NETWORKS: '10.0.0.0/99',
    });
    assert.fail('expected a ConfigError');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.problems.length, 4, err.problems.join('\n'));
    assert.match(err.message, /PORT/);
    assert.match(err.message, /DATABASE_URL/);
  }
});

test('private networks: true, false, or CIDR ranges', () => {
  assert.equal(loadConfig({ HERALD_ALLOW_PRIVATE_NETWORKS: 'true' }).network.allowPrivate, true);
  const c = loadConfig({ HERALD_ALLOW_PRIVATE_NETWORKS: '127.0.0.0/8, fd00::/8' });
  assert.equal(c.network.allowPrivate, false);
  assert.deepEqual(
    c.network.allowCidrs.map((x) => `${x.address}/${x.prefix}`),
    ['127.0.0.0/8', 'fd00::/8'],
  );
});

test('durations', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('5s'), 5000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('250'), 250);
  assert.equal(parseDuration('soon'), undefined);
});

test('a bad CIDR names only what that variable accepts', () => {
  assert.throws(
    () => loadConfig({ HERALD_ALLOW_PRIVATE_NETWORKS: '10.0.0.0/99' }),
    /HERALD_ALLOW_PRIVATE_NETWORKS: "10\.0\.0\.0\/99" is not "true", "false" or a CIDR range such as 10\.0\.0\.0\/8/,
  );
  assert.throws(
    () => loadConfig({ HERALD_COMPAT_ALLOW: 'everyone' }),
    (err: Error) => {
      assert.match(err.message, /HERALD_COMPAT_ALLOW: "everyone" is not a CIDR range such as 10\.0\.0\.0\/8/);
      assert.doesNotMatch(err.message, /"true"/);
      return true;
    },
  );
});
