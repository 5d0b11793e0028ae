import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './config.ts';
import { retentionDaysOf } from './retention.ts';
import { configFile as file, configProblems as problemsOf } from '../../test/helpers/config.ts';

test('retention: 30 days by default; HERALD_RETENTION_DAYS and per-channel overrides from the file', () => {
  assert.deepEqual(loadConfig({}).retention, { days: 30, channels: {} });
  const c = loadConfig({ HERALD_RETENTION_DAYS: '90', HERALD_CONFIG: file('retention:\n  sms: 7\n  webhook: 0\n') });
  assert.deepEqual(c.retention, { days: 90, channels: { sms: 7, webhook: 0 } });
  assert.equal(retentionDaysOf(c.retention, 'sms'), 7);
  assert.equal(retentionDaysOf(c.retention, 'email'), 90);
  assert.equal(retentionDaysOf(c.retention, 'webhook'), 0, '0 keeps forever');
  assert.equal(loadConfig({ HERALD_RETENTION_DAYS: '0' }).retention.days, 0);
});

test('retention: unknown channels, bad numbers and a bad section are refused, all at once', () => {
  const problems = problemsOf({
    HERALD_RETENTION_DAYS: '-1',
    HERALD_CONFIG: file('retention:\n  emial: 10\n  sms: 1.5\n  webhook: forever\n'),
  });
  assert.deepEqual(problems, [
    'HERALD_RETENTION_DAYS must be an integer from 0 to 36500 (got "-1")',
    'retention.emial is not a channel (known: email, sms, webhook) (did you mean "email"?)',
    'retention.sms must be whole days from 0 (keep forever) to 36500 (got 1.5)',
    'retention.webhook must be whole days from 0 (keep forever) to 36500 (got "forever")',
  ]);
  assert.match(
    problemsOf({ HERALD_CONFIG: file('retention: 30\n') })[0]!,
    /retention must be a mapping of channel to days/,
  );
  assert.match(problemsOf({ HERALD_CONFIG: file('retension:\n  sms: 7\n') })[0]!, /did you mean "retention"/);
});
