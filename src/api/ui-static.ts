import { existsSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Where the admin UI is: ui/dist in a checkout (`npm run build:ui`, which `npm start` runs), dist/ui
 * in the package (`npm run build` compiles this file to dist/api/ui-static.js and the UI beside it).
 */
const COMPILED = import.meta.url.endsWith('.js');
export const UI_DIST = fileURLToPath(new URL(COMPILED ? '../ui/' : '../../ui/dist/', import.meta.url));

/** Where a missing UI comes from, so that the page says what is true here. */
export type UiSource = 'package' | 'checkout' | 'checkout-without-vite';

function uiSource(): UiSource {
  if (COMPILED) return 'package';
  try {
    import.meta.resolve('vite');
    return 'checkout';
  } catch {
    return 'checkout-without-vite';
  }
}

const ADVICE: Record<UiSource, string> = {
  checkout:
    '<p>Herald serves the admin UI from <code>ui/dist</code>, which does not exist. Build it with ' +
    '<code>npm run build:ui</code> (<code>npm start</code> does this by itself), then reload.</p>',
  'checkout-without-vite':
    '<p>Herald serves the admin UI from <code>ui/dist</code>, which does not exist, and this checkout ' +
    'cannot build it: Vite, a dev dependency, is not installed (<code>npm ci --omit=dev</code>). ' +
    'Install the dev dependencies (<code>npm ci</code>), run <code>npm run build:ui</code> and reload; ' +
    'or run Herald from its package (<code>npm pack</code>, see docs/deploy.md), which carries the UI.</p>',
  package:
    '<p>This installation of Herald has no <code>dist/ui</code>. A package made by <code>npm pack</code> ' +
    'carries the UI (its <code>prepack</code> runs <code>npm run build</code>): reinstall Herald from one.</p>',
};

export function notBuiltPage(source: UiSource): string {
  return `<!doctype html><html lang="en"><meta charset="utf-8"><title>Herald admin UI not built</title>
<body style="font:16px system-ui;max-width:40rem;margin:4rem auto;padding:0 1rem">
<h1>The admin UI is not built</h1>
${ADVICE[source]}
<p>The API works without it: see <a href="/docs">/docs</a>.</p></body></html>`;
}

/**
 * Headers of every UI response. The CSP allows only the UI's own scripts and API; e-mail previews
 * (srcdoc frames, which inherit this policy and add a stricter one of their own) may show inline
 * styles and, when the operator asks, remote images. No one may frame the UI (clickjacking).
 */
export const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https: http:; " +
    "font-src 'self' data:; connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; base-uri 'self'; " +
    "form-action 'self'; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * Serves the admin UI (a static single-page app) at /admin, and redirects / there. Public like
 * /docs: the UI holds no data of its own and signs in with an API key against the public API.
 * Unknown paths under /admin/ answer index.html (the UI routes on the client); hashed assets are
 * cached for a year, index.html never (so a new build shows at the next load).
 */
export async function uiRoutes(app: FastifyInstance, opts: { root?: string; source?: UiSource } = {}): Promise<void> {
  const root = resolve(opts.root ?? UI_DIST);
  const notBuilt = notBuiltPage(opts.source ?? uiSource());
  app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/admin/'));
  app.get('/admin', { schema: { hide: true } }, async (_req, reply) => reply.redirect('/admin/'));

  await app.register(async (scope) => {
    await scope.register(fastifyStatic, { root, serve: false, cacheControl: false });
    scope.addHook('onSend', async (_req, reply) => {
      reply.headers(SECURITY_HEADERS);
    });
    const index = (reply: FastifyReply) => {
      if (!existsSync(join(root, 'index.html')))
        return reply.status(503).type('text/html; charset=utf-8').send(notBuilt);
      return reply.header('cache-control', 'no-cache').sendFile('index.html', root);
    };
    scope.get('/admin/', { schema: { hide: true } }, async (_req, reply) => index(reply));
    scope.get<{ Params: { '*': string } }>('/admin/*', { schema: { hide: true } }, async (req, reply) => {
      const rel = req.params['*'];
      const file = resolve(root, rel);
      if (rel && file.startsWith(root + sep) && isFile(file)) {
        const immutable = rel.startsWith('assets/');
        reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
        return reply.sendFile(rel, root);
      }
      // A missing asset is a 404 (a stale page must not get HTML for a script); anything else is a UI route.
      if (rel.startsWith('assets/')) return reply.callNotFound();
      return index(reply);
    });
  });
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
