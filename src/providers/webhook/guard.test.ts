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

test('IPv6 forms that embed an IPv4 address are judged by that address', () => {
  const g = new TargetGuard({ allowPrivate: false, allowCidrs: [] });
  const refused = [
    '::127.0.0.1', // IPv4-compatible (::/96), refused as a whole
    '::7f00:1',
    '::8.8.8.8',
    '::ffff:7f00:1', // IPv4-mapped, hex form (what the URL parser makes of [::ffff:127.0.0.1])
    '::ffff:10.0.0.1',
    '::ffff:0:7f00:1', // IPv4-translated (RFC 6145)
    '64:ff9b::127.0.0.1', // NAT64 (RFC 6052)
    '64:ff9b::a9fe:a9fe', // NAT64 of 169.254.169.254
    '64:ff9b:1::8.8.8.8', // local-use NAT64 (RFC 8215)
    '2002:7f00:1::1', // 6to4 of 127.0.0.1
    '2002:c0a8:101::', // 6to4 of 192.168.1.1
    '2001:0:4136:e378:8000:63bf:80ff:fffe', // Teredo, client 127.0.0.1 (inverted)
    '2001:0:a00:1::1', // Teredo, server 10.0.0.1
    'fec0::1', // deprecated site-local
  ];
  for (const a of refused) assert.equal(g.permits(a), false, a);
  const permitted = [
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1', // 6to4 of 8.8.8.8
    '2001:0:4136:e378:8000:63bf:f7f7:f7f7', // Teredo, server 65.54.227.120, client 8.8.8.8
  ];
  for (const a of permitted) assert.equal(g.permits(a), true, a);
  for (const url of ['http://[::127.0.0.1]/', 'http://[::ffff:127.0.0.1]/', 'http://[64:ff9b::7f00:1]:8080/x']) {
    assert.ok(g.checkLiteral(new URL(url)), url);
  }
});

test('an IPv4 allow-list also opens the IPv6 forms of its addresses', () => {
  const g = new TargetGuard({ allowPrivate: false, allowCidrs: [{ address: '127.0.0.0', prefix: 8, family: 'ipv4' }] });
  assert.equal(g.permits('::ffff:127.0.0.1'), true);
  assert.equal(g.permits('64:ff9b::127.0.0.1'), true);
  assert.equal(g.permits('::ffff:10.0.0.1'), false);
});

test('what is not an IP address is never permitted', () => {
  const g = new TargetGuard({ allowPrivate: false, allowCidrs: [] });
  for (const a of ['', 'localhost', '127.1', '1.2.3.4.5']) assert.equal(g.permits(a), false, a);
});
