import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSyntax, render, TemplateError } from './engine.ts';

test('renders data; a missing variable is an error naming it, not a blank', () => {
  assert.equal(render('text', 'Hi {{ name }}!', { name: 'Ann' }), 'Hi Ann!');
  assert.throws(
    () => render('text', 'Hi {{ nmae }}', { name: 'Ann' }),
    (e: Error) => {
      assert.ok(e instanceof TemplateError);
      assert.match(e.message, /nmae/);
      return true;
    },
  );
});

test('HTML bodies escape data by default; text bodies do not', () => {
  assert.equal(render('html', '<p>{{ x }}</p>', { x: '<b>&' }), '<p>&lt;b&gt;&amp;</p>');
  assert.equal(render('text', '{{ x }}', { x: '<b>&' }), '<b>&');
});

test('sandbox: no prototype access, no file includes, unknown filters refused', () => {
  assert.throws(() => render('text', '{{ x.constructor }}', { x: {} }), TemplateError);
  assert.throws(() => render('text', "{% include '/etc/passwd' %}", {}), TemplateError);
  assert.throws(() => checkSyntax('text', '{{ x | nosuchfilter }}'), TemplateError);
  assert.throws(() => checkSyntax('text', '{% if %}'), TemplateError);
});

test('an endless loop is stopped by the render limit', () => {
  const src = '{% for i in (1..100000000) %}{{ i }}{% endfor %}';
  assert.throws(() => render('text', src, {}), TemplateError);
});
