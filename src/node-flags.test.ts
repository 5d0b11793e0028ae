import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HERALD_NODE_FLAGS } from './node-flags.ts';

test('npm start and the herald bin run with Herald’s V8 flags', () => {
  const root = join(import.meta.dirname, '..');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const bin = readFileSync(join(root, 'bin', 'herald.js'), 'utf8').split('\n')[0]!;
  for (const flag of HERALD_NODE_FLAGS) {
    assert.ok(pkg.scripts.start!.includes(flag), `npm start lacks ${flag}`);
    assert.ok(bin.includes(flag), `bin/herald.js lacks ${flag}`);
  }
});
