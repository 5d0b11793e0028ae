import type { Channel } from '../domain/message.ts';

/** One locale's content. E-mail: subject, text and/or html; SMS: text; webhook: body (JSON after rendering, or text). */
export interface TemplateVariant {
  subject?: string | undefined;
  text?: string | undefined;
  html?: string | undefined;
  body?: string | undefined;
}

export interface Template {
  id: string;
  /** Unique; messages may name a template by id or by name. */
  name: string;
  channel: Channel;
  description: string | null;
  /** The newest version number (versions start at 1 and never change once written). */
  latest: number;
  createdAt: number;
  updatedAt: number;
}

export interface TemplateVersion {
  templateId: string;
  version: number;
  /** The variant used when the requested locale (and its language) has none. */
  defaultLocale: string;
  variants: Record<string, TemplateVariant>;
  createdAt: number;
}

/** What a template renders to. */
export interface RenderedContent {
  locale: string;
  subject?: string | undefined;
  text?: string | undefined;
  html?: string | undefined;
  body?: string | undefined;
}

export const VARIANT_FIELDS = ['subject', 'text', 'html', 'body'] as const;

/** The fields each channel's variants may carry, and which are required. */
export const CHANNEL_FIELDS: Record<
  Channel,
  { allowed: readonly string[]; check: (v: TemplateVariant) => string | undefined }
> = {
  email: {
    allowed: ['subject', 'text', 'html'],
    check: (v) => (!v.subject ? 'needs a subject' : !v.text && !v.html ? 'needs text or html' : undefined),
  },
  sms: { allowed: ['text'], check: (v) => (!v.text ? 'needs text' : undefined) },
  webhook: { allowed: ['body'], check: (v) => (!v.body ? 'needs a body' : undefined) },
};

/** The variant for a locale: exact (case-insensitive), then its language (`de-AT` → `de`), then the default. */
export function pickLocale(v: TemplateVersion, wanted: string | null | undefined): string {
  const locales = Object.keys(v.variants);
  if (wanted) {
    const w = wanted.toLowerCase();
    const exact = locales.find((l) => l.toLowerCase() === w);
    if (exact) return exact;
    const lang = w.split(/[-_]/)[0]!;
    const byLang = locales.find((l) => l.toLowerCase() === lang);
    if (byLang) return byLang;
  }
  return v.defaultLocale;
}
