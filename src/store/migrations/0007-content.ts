import type { Migration } from './index.ts';

/**
 * Content (issue 15): stored templates with immutable versions, SMS segment counts, e-mail
 * campaigns with HTML and templates.
 * - `templates`: one row per template; `latest` is its newest version number.
 * - `template_versions`: a version is never changed once written; `variants` is JSON
 *   `{locale: {subject?, text?, html?, body?}}` and `default_locale` names the fallback.
 * - `messages.segments`: SMS parts the text takes (GSM-7 153 / UCS-2 67 per part); NULL for
 *   other channels. `stats_minute/stats_hour.segments`: SMS parts accepted, the cost proxy.
 * - `campaigns.html` and the pinned template a campaign renders for each contact.
 * - `herald_settings`: values made once and shared by every process (the unsubscribe secret).
 */
const ddl = (t: { text: string; big: string }) => `
CREATE TABLE templates (
  id ${t.text} PRIMARY KEY,
  name ${t.text} NOT NULL,
  channel ${t.text} NOT NULL,
  description ${t.text},
  latest integer NOT NULL,
  created_at ${t.big} NOT NULL,
  updated_at ${t.big} NOT NULL
);
CREATE UNIQUE INDEX templates_name ON templates (name);

CREATE TABLE template_versions (
  template_id ${t.text} NOT NULL REFERENCES templates (id) ON DELETE CASCADE,
  version integer NOT NULL,
  default_locale ${t.text} NOT NULL,
  variants ${t.text} NOT NULL,
  created_at ${t.big} NOT NULL,
  PRIMARY KEY (template_id, version)
);

CREATE TABLE herald_settings (
  name ${t.text} PRIMARY KEY,
  value ${t.text} NOT NULL,
  created_at ${t.big} NOT NULL
);

ALTER TABLE messages ADD COLUMN segments integer;
ALTER TABLE stats_minute ADD COLUMN segments integer NOT NULL DEFAULT 0;
ALTER TABLE stats_hour ADD COLUMN segments integer NOT NULL DEFAULT 0;

ALTER TABLE campaigns ADD COLUMN html ${t.text};
ALTER TABLE campaigns ADD COLUMN template_id ${t.text};
ALTER TABLE campaigns ADD COLUMN template_version integer;
ALTER TABLE campaigns ADD COLUMN template_locale ${t.text};
ALTER TABLE campaigns ADD COLUMN categories integer NOT NULL DEFAULT 0;
CREATE INDEX campaigns_template ON campaigns (template_id) WHERE template_id IS NOT NULL;
`;

export const migration: Migration = {
  version: 7,
  name: 'content',
  sqlite: ddl({ text: 'TEXT', big: 'INTEGER' }),
  postgres: ddl({ text: 'text', big: 'bigint' }),
};
