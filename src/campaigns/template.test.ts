import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasPlaceholders, renderTemplate } from './template.ts';

const contact = {
  id: 'c1',
  phone: '79161234567',
  email: null,
  operatorCode: '916',
  tag: 'vip',
  timezone: 'Europe/Moscow',
  attributes: { name: 'Anna', address: { city: 'Kazan' }, visits: 3 },
};

test('renders contact fields and attributes; leaves other braces alone', () => {
  assert.equal(
    renderTemplate(
      'Hi {attributes.name} from {attributes.address.city} ({tag}, {phone}) {email}{attributes.none} {x}',
      contact,
    ),
    'Hi Anna from Kazan (vip, 79161234567)  {x}',
  );
  assert.equal(renderTemplate('{attributes.visits} visits {attributes.address}', contact), '3 visits {"city":"Kazan"}');
  assert.equal(hasPlaceholders('plain {text}'), false);
  assert.equal(hasPlaceholders('Hi {attributes.name}'), true);
  assert.equal(hasPlaceholders('Hi {tag}'), true);
});
