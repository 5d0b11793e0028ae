/** Stored templates as the API shows them (docs/templates.md), and small helpers of the editor. */
export interface Variant {
  subject?: string;
  text?: string;
  html?: string;
  body?: string;
}

export interface TemplateVersion {
  version: number;
  defaultLocale: string;
  variants: Record<string, Variant>;
  createdAt: string;
}

export interface Template {
  id: string;
  name: string;
  channel: 'email' | 'sms' | 'webhook';
  description: string | null;
  latest: number;
  createdAt: string;
  updatedAt: string;
}

export interface TemplateWithVersion extends Template {
  current: TemplateVersion;
}

export interface Preview {
  version: number | null;
  locale: string;
  subject?: string;
  text?: string;
  html?: string;
  body?: string;
  segments?: number;
  encoding?: string;
}

/** The fields a channel's variant has, in editor order. */
export const FIELDS: Record<Template['channel'], (keyof Variant)[]> = {
  email: ['subject', 'text', 'html'],
  sms: ['text'],
  webhook: ['body'],
};

/** A first variant for a new template, so that it is valid from the start. */
export function starterVariant(channel: Template['channel']): Variant {
  if (channel === 'email') return { subject: 'Hello {{ name }}', html: '<p>Hello {{ name }}!</p>' };
  if (channel === 'sms') return { text: 'Hello {{ name }}!' };
  return { body: '{"name": "{{ name }}"}' };
}

/** Drops empty fields: the API treats a missing field and an empty one alike, and stores less. */
export function compactVariants(variants: Record<string, Variant>): Record<string, Variant> {
  return Object.fromEntries(
    Object.entries(variants).map(([locale, v]) => [
      locale,
      Object.fromEntries(Object.entries(v).filter(([, s]) => typeof s === 'string' && s !== '')) as Variant,
    ]),
  );
}
