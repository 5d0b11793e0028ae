/**
 * Campaign text templates: `{field}` takes a contact field, `{attributes.key}` one of its
 * attributes (nested keys with dots). A missing value renders as the empty string; a brace that
 * is not a known placeholder stays as it is, so plain texts with braces need no escaping.
 */
import type { Contact } from './model.ts';

const FIELDS = ['id', 'phone', 'email', 'operatorCode', 'tag', 'timezone'] as const;
const PLACEHOLDER = /\{(id|phone|email|operatorCode|tag|timezone|attributes(?:\.[A-Za-z0-9_-]+)+)\}/g;

export const TEMPLATE_FIELDS: readonly string[] = [...FIELDS, 'attributes.<key>'];

/** Whether the text has any placeholder (if not, one rendering serves every contact). */
export function hasPlaceholders(text: string): boolean {
  PLACEHOLDER.lastIndex = 0;
  return PLACEHOLDER.test(text);
}

export type TemplateContact = Pick<
  Contact,
  'id' | 'phone' | 'email' | 'operatorCode' | 'tag' | 'timezone' | 'attributes'
>;

export function renderTemplate(text: string, contact: TemplateContact): string {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    if (!name.startsWith('attributes.')) return stringify(contact[name as (typeof FIELDS)[number]]);
    let v: unknown = contact.attributes;
    for (const key of name.split('.').slice(1)) {
      v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
    }
    return stringify(v);
  });
}

function stringify(v: unknown): string {
  if (v == null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}
