/**
 * The scopes an API key can have (scopes.ts says what each opens). Its own file, importing
 * nothing, so that the admin UI's key form (a Vite build) takes the same list.
 */
export const SCOPES = [
  'messages:write',
  'messages:read',
  'campaigns',
  'contacts',
  'endpoints',
  'providers',
  'metrics',
  'compat',
  'admin',
] as const;
export type Scope = (typeof SCOPES)[number];
