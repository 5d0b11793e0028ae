/**
 * Builds the admin UI (ui/ → ui/dist) with Vite's build API when ui/dist is missing or older
 * than any UI source file or server module the UI imports, so `npm start` and `npm test` always serve a current UI without an
 * extra step. `--force` builds anyway. Usage: node scripts/build-ui.ts [--force]
 * `npm run build` (scripts/build.ts) builds it into dist/ui for the package instead.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const UI = fileURLToPath(new URL('../ui/', import.meta.url));
const DIST_INDEX = join(UI, 'dist', 'index.html');
const SOURCES = ['src', 'index.html', 'vite.config.ts', 'tsconfig.json'].map((p) => join(UI, p));

/** Newest modification time under `path` (a file or a folder), in ms. */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const e of readdirSync(path)) max = Math.max(max, newest(join(path, e)));
  return max;
}

/**
 * The server modules (src/…) that UI files under `dir` import directly: the lists the UI shares
 * with the server (event types, scopes, message states) and pure helpers such as SMS segments.
 */
function serverImports(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...serverImports(path));
    else if (/\.tsx?$/.test(e.name))
      for (const m of readFileSync(path, 'utf8').matchAll(/from '((?:\.\.\/)+src\/[^']+)'/g))
        out.push(resolve(dirname(path), m[1]!));
  }
  return out;
}

export function uiIsStale(): boolean {
  if (!existsSync(DIST_INDEX)) return true;
  const built = statSync(DIST_INDEX).mtimeMs;
  return [...SOURCES, ...serverImports(join(UI, 'src'))].some((s) => newest(s) > built);
}

/** Thrown when Vite, a dev dependency, is not installed (a checkout after `npm ci --omit=dev`). */
export class NoVite extends Error {
  constructor() {
    super('Vite, a dev dependency, is not installed here (npm ci --omit=dev?)');
  }
}

export async function buildUi(opts: { force?: boolean; quiet?: boolean; outDir?: string } = {}): Promise<boolean> {
  if (!opts.force && !opts.outDir && !uiIsStale()) return false;
  const vite = await import('vite').catch((err: unknown) => {
    throw (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' ? new NoVite() : err;
  });
  const started = Date.now();
  await vite.build({
    configFile: join(UI, 'vite.config.ts'),
    logLevel: opts.quiet ? 'warn' : 'info',
    ...(opts.outDir && { build: { outDir: opts.outDir } }),
  });
  if (!opts.quiet) console.log(`admin UI built into ${opts.outDir ?? 'ui/dist'} in ${Date.now() - started} ms`);
  return true;
}

/**
 * `npm start`'s and `npm test`'s step (scripts/prestart.js, pretest): builds when stale, and only
 * warns when it cannot. Herald runs without the UI (/admin then says how to get it), e.g. in a
 * checkout installed without dev dependencies.
 */
export async function buildUiOrWarn(): Promise<void> {
  try {
    if (!(await buildUi())) console.log('admin UI is up to date (ui/dist)');
  } catch (err) {
    if (err instanceof NoVite) console.error(`admin UI not built: ${err.message}.`);
    else console.error('admin UI build failed:', err);
    console.error('Herald will start without the admin UI; /admin says how to get it.');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--force')) {
    // `npm run build:ui` fails loudly.
    buildUi({ force: true }).catch((err: unknown) => {
      console.error('admin UI build failed:', err);
      process.exitCode = 1;
    });
  } else void buildUiOrWarn();
}
