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

/**
 * What every contact gets whatever its values: the text with its placeholders removed (a contact
 * without any of them gets exactly this; any value only adds to it).
 */
export function staticPart(text: string): string {
  return text.replace(PLACEHOLDER, '');
}

export type TemplateContact = Pick<
  Contact,
  'id' | 'phone' | 'email' | 'operatorCode' | 'tag' | 'timezone' | 'attributes'
>;

export function renderTemplate(text: string, contact: TemplateContact): string {
  return compileTemplate(text)(contact);
}

/**
 * A text's placeholders found once: the fan-out renders one text for every contact of a page, so
 * it splits the text here and per contact only joins literals and values (no regex per contact).
 */
export function compileTemplate(text: string): (contact: TemplateContact) => string {
  const literals: string[] = [];
  const values: ((c: TemplateContact) => unknown)[] = [];
  let last = 0;
  for (const m of text.matchAll(new RegExp(PLACEHOLDER))) {
    literals.push(text.slice(last, m.index));
    values.push(valueOf(m[1]!));
    last = m.index + m[0].length;
  }
  if (values.length === 0) return () => text;
  const tail = text.slice(last);
  return (contact) => {
    let out = '';
    for (let i = 0; i < values.length; i++) out += literals[i]! + stringify(values[i]!(contact));
    return out + tail;
  };
}

/** Reads one placeholder's value from a contact: a field, or an attribute path. */
function valueOf(name: string): (c: TemplateContact) => unknown {
  if (!name.startsWith('attributes.')) return (c) => c[name as (typeof FIELDS)[number]];
  const keys = name.split('.').slice(1);
  return (c) => {
    let v: unknown = c.attributes;
    for (const key of keys) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
    return v;
  };
}

function stringify(v: unknown): string {
  if (v == null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  return JSON.stringify(v) ?? '';
}
