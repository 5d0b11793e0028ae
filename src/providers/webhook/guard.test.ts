import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TargetGuard } from './guard.ts';

test('refuses non-public addresses by default', () => {
  const g = new TargetGuard({ allowPrivate: false, allowCidrs: [] });
  for (const a of [
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
  ]) {
    assert.equal(g.permits(a), false, a);
  }
  for (const a of ['93.184.216.34', '8.8.8.8', '2606:4700::1111']) assert.equal(g.permits(a), true, a);
});

test('an allow-list opens only its ranges; true opens everything', () => {
  const g = new TargetGuard({ allowPrivate: false, allowCidrs: [{ address: '127.0.0.0', prefix: 8, family: 'ipv4' }] });
  assert.equal(g.permits('127.0.0.1'), true);
  assert.equal(g.permits('10.0.0.1'), false);
  assert.equal(new TargetGuard({ allowPrivate: true, allowCidrs: [] }).permits('10.0.0.1'), true);
});

test('IP literals in URLs are checked; the lookup refuses names that resolve to loopback', async () => {
  const g = new TargetGuard({ allowPrivate: false, allowCidrs: [] });
  assert.ok(g.checkLiteral(new URL('http://127.0.0.1:8080/x')));
  assert.ok(g.checkLiteral(new URL('http://[::1]/x')));
  assert.equal(g.checkLiteral(new URL('http://example.com/x')), undefined);
  const err = await new Promise<Error | null>((resolve) => g.lookup('localhost', {}, (e) => resolve(e)));
  assert.match(String(err?.message), /not a public address/);
});
