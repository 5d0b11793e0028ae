import { SCOPES, type Scope } from './scope-list.ts';

/**
 * What an API key may do (the list lives in scope-list.ts, which the admin UI imports too). Each
 * route declares the one scope it needs (route config `scope`); `admin` grants everything.
 * docs/api.md#api-keys-and-scopes lists which routes need which.
 */
export { SCOPES, type Scope };

/**
 * A route's access rule: a scope, `public` (no key: health, docs, the UI's static files), or
 * `receipt` (provider receipts: the provider's own signature or basic auth; where a provider has
 * none, the handler asks for a `providers` key with `requireScope`).
 */
export type RouteAccess = Scope | 'public' | 'receipt';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (src/auth/scopes.ts). A route without one is refused to all but admin keys. */
    scope?: RouteAccess;
  }
}

export function isScope(s: string): s is Scope {
  return (SCOPES as readonly string[]).includes(s);
}

/** Whether a key with `granted` scopes may use a route that needs `needed`. */
export function grants(granted: readonly string[], needed: Scope): boolean {
  return granted.includes('admin') || granted.includes(needed);
}

/** Problems with a requested scope list (unknown names, empty), for a 400 or a CLI error. */
export function scopeProblems(scopes: readonly string[]): string[] {
  if (scopes.length === 0) return [`give at least one scope (${SCOPES.join(', ')})`];
  return scopes.filter((s) => !isScope(s)).map((s) => `unknown scope "${s}" (known: ${SCOPES.join(', ')})`);
}
