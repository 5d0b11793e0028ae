import type { Migration } from './index.ts';

/**
 * API key lifecycle and the audit log.
 * - api_keys gains `expires_at` (null: never), `env` (1 for the key that came from HERALD_API_KEY:
 *   when that variable changes, the previous environment key is revoked) and `created_by`
 *   (the id of the key that made it; null for the environment, the first generated key and the CLI).
 *   Keys made before scopes existed (`*`) become `admin`; the key named HERALD_API_KEY is the env key.
 * - audit_log: who (key id and name) did what to which object, when, from which address.
 *   Read newest first, optionally by actor or action, and purged by time: indexes on (at, id),
 *   (actor_id, id) and (action, id).
 */
const script = (t: { text: string; big: string }) => `
ALTER TABLE api_keys ADD COLUMN expires_at ${t.big};
ALTER TABLE api_keys ADD COLUMN env integer NOT NULL DEFAULT 0;
ALTER TABLE api_keys ADD COLUMN created_by ${t.text};
CREATE INDEX api_keys_env ON api_keys (env, revoked_at);
UPDATE api_keys SET scopes = 'admin' WHERE scopes = '*';
UPDATE api_keys SET env = 1 WHERE name = 'HERALD_API_KEY';

CREATE TABLE audit_log (
  id ${t.text} PRIMARY KEY,
  at ${t.big} NOT NULL,
  actor_id ${t.text},
  actor_name ${t.text} NOT NULL,
  action ${t.text} NOT NULL,
  object_type ${t.text} NOT NULL,
  object_id ${t.text},
  address ${t.text},
  detail ${t.text}
);
CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
`;

export const migration: Migration = {
  version: 6,
  name: 'access',
  sqlite: script({ text: 'TEXT', big: 'INTEGER' }),
  postgres: script({ text: 'text', big: 'bigint' }),
};
