import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csvRecords, progressOf, renderTemplate, splitList } from '../../ui/src/campaigns.ts';
import { renderTemplate as serverRender } from '../../src/campaigns/template.ts';

void test('the UI preview renders templates exactly as the server does', () => {
  const contact = {
    id: 'c1',
    phone: '79001112233',
    email: null,
    operatorCode: '900',
    tag: 'vip',
    timezone: 'UTC',
    attributes: { name: 'Ada', nested: { city: 'Paris' }, n: 3 },
  };
  for (const text of [
    'Hi {attributes.name} ({phone}, {tag})',
    '{attributes.nested.city} {attributes.nested} {attributes.missing}|{email}|',
    'plain {braces} stay {attributes.n}',
  ])
    assert.equal(renderTemplate(text, contact), serverRender(text, contact));
});

void test('csvRecords keeps quoted newlines and commas inside one record, drops blank lines', () => {
  const recs = csvRecords('phone,name\r\n7900,"Ada, Countess"\n\n7901,"two\nlines"\n');
  assert.deepEqual(recs, ['phone,name', '7900,"Ada, Countess"', '7901,"two\nlines"']);
});

void test('progressOf groups states into delivered / sent / failed / pending', () => {
  assert.deepEqual(progressOf({ delivered: 5, sent: 2, failed: 1, expired: 1, queued: 3, sending: 1 }), {
    total: 13,
    delivered: 5,
    sent: 2,
    failed: 2,
    pending: 4,
  });
  assert.deepEqual(splitList(' 900, 901 ,,902 '), ['900', '901', '902']);
});
