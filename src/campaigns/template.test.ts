import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileTemplate, hasPlaceholders, renderTemplate } from './template.ts';

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

test('a compiled template renders what renderTemplate renders, for any contact', () => {
  const texts = [
    'plain, no placeholder {x}',
    '{tag}',
    'a{phone}b{attributes.name}c{attributes.address.city}',
    '{attributes.none}{email}!',
  ];
  const other = { ...contact, tag: null, attributes: { name: 'Boris' } };
  for (const t of texts) {
    const render = compileTemplate(t);
    for (const c of [contact, other]) assert.equal(render(c), renderTemplate(t, c), t);
  }
  assert.equal(compileTemplate('Hi {attributes.name}!')(other), 'Hi Boris!');
});
