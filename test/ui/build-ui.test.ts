import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, utimesSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildUi, uiIsStale } from '../../scripts/build-ui.ts';

/** A server module the admin UI imports (the key form's scope list). */
const SHARED = fileURLToPath(new URL('../../src/auth/scope-list.ts', import.meta.url));

test('a change to a server module the UI imports makes ui/dist stale', async () => {
  await buildUi({ quiet: true });
  assert.equal(uiIsStale(), false, 'fresh right after a build');
  const st = statSync(SHARED);
  try {
    utimesSync(SHARED, st.atime, new Date(Date.now() + 60_000));
    assert.equal(uiIsStale(), true, 'the shared module is newer than the build');
  } finally {
    utimesSync(SHARED, st.atime, st.mtime);
  }
});
