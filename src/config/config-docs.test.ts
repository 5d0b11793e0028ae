import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Every environment variable that src/config reads is documented in docs/configuration.md. */
test('docs/configuration.md documents every environment variable', () => {
  const src = readdirSync(import.meta.dirname)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => readFileSync(join(import.meta.dirname, f), 'utf8'))
    .join('\n');
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
  const names = new Set(
    [...src.matchAll(/['.]((?:HERALD_[A-Z_]+)|PORT|HOST|DATABASE_URL|LOG_LEVEL)\b/g)].map((m) => m[1]!),
  );
  assert.ok(names.size > 10);
  for (const name of names) assert.ok(doc.includes(`\`${name}\``), `${name} is read in src/config but not documented`);
});
