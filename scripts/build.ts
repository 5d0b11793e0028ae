/**
 * `npm run build` (also `prepack`): the installable package's dist/, from a checkout with dev
 * dependencies. src/ → dist/ as JavaScript (tsc -p tsconfig.build.json; Node does not strip types
 * under node_modules), and the admin UI → dist/ui. bin/herald.js runs dist/main.js where there is
 * no src/. Types are not checked here (`npm run typecheck` does that): the build only emits.
 * Usage: node scripts/build.ts
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { buildUi } from './build-ui.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

const started = Date.now();
rmSync(DIST, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--noCheck'], { cwd: ROOT, stdio: 'inherit' });
await buildUi({ outDir: `${DIST}ui`, quiet: true });
console.error(`built dist/ (JavaScript and the admin UI) in ${Date.now() - started} ms`);
