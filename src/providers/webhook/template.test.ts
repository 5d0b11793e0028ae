import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPostbackUrl } from './template.ts';

const seedUrl = 'http://sample_domain_endpoint.com/data?key={key}&value={value}&foo={bar}';

test("the seed's sample request yields the seed's sample response", () => {
  assert.equal(
    renderPostbackUrl(seedUrl, { key: 'Phyllobates', value: 'Terribilis' }, ''),
    'http://sample_domain_endpoint.com/data?key=Phyllobates&value=Terribilis&foo=',
  );
  assert.equal(
    renderPostbackUrl(seedUrl, { key: 'Azureus', value: 'Dendrobates' }, ''),
    'http://sample_domain_endpoint.com/data?key=Azureus&value=Dendrobates&foo=',
  );
});

test('values are URL-encoded; the default fills unmatched keys', () => {
  assert.equal(
    renderPostbackUrl('http://x/?a={a}&b={b}', { a: 'x y&z=1' }, 'none'),
    'http://x/?a=x%20y%26z%3D1&b=none',
  );
  assert.equal(
    renderPostbackUrl('http://x/?n={n}&o={o}', { n: 5, o: { k: 1 } }, ''),
    'http://x/?n=5&o=%7B%22k%22%3A1%7D',
  );
  assert.equal(renderPostbackUrl('http://x/?p={__proto__}', {}, 'd'), 'http://x/?p=d');
});

test('a lone surrogate never throws: it is encoded as U+FFFD', () => {
  assert.equal(renderPostbackUrl('http://x/?a={a}', { a: 'x\uD800y' }, ''), 'http://x/?a=x%EF%BF%BDy');
  assert.equal(renderPostbackUrl('http://x/?a={a}', { a: ['\uDC00'] }, ''), 'http://x/?a=%5B%22%5Cudc00%22%5D');
  assert.equal(renderPostbackUrl('http://x/?a={a}', {}, '\uD83D'), 'http://x/?a=%EF%BF%BD');
});
