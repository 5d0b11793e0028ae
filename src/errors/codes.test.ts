import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes } from './codes.ts';

/** docs/errors.md and the registry list the same codes with the same statuses (fastify's errors.test.js). */
test('docs/errors.md documents every error code with its status, and nothing else', () => {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
  const rows = new Map(
    [...doc.matchAll(/^\| `(HERALD_[A-Z_]+)` \| (\d{3}) \|/gm)].map((m) => [m[1]!, Number(m[2])] as const),
  );
  for (const [code, { status }] of Object.entries(ErrorCodes)) {
    assert.equal(rows.get(code), status, `${code} must be in docs/errors.md with status ${status}`);
  }
  for (const code of rows.keys()) assert.ok(code in ErrorCodes, `${code} is documented but not in the registry`);
});

test('every registered code is raised somewhere in src/', () => {
  const src = join(import.meta.dirname, '..');
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== join('errors', 'codes.ts'),
  );
  const text = files.map((f) => readFileSync(join(src, f), 'utf8')).join('\n');
  for (const code of Object.keys(ErrorCodes)) {
    assert.ok(text.includes(`'${code}'`), `${code} is registered but never raised: use it or remove it`);
  }
});
