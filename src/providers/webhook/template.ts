/**
 * Seed 004's URL templating: each `{name}` becomes the URL-encoded value of `data[name]`; a name
 * the data object lacks becomes `defaultValue` (HERALD_POSTBACK_DEFAULT_VALUE, '' by default).
 * Objects and arrays are JSON-encoded first; null becomes the default too. A lone UTF-16
 * surrogate (which encodeURIComponent refuses with a URIError) becomes U+FFFD: rendering never throws.
 */
export function renderPostbackUrl(template: string, data: Record<string, unknown>, defaultValue: string): string {
  return template.replace(/\{([^{}/?#&=]+)\}/g, (_, name: string) => {
    const v = Object.hasOwn(data, name) ? data[name] : undefined;
    const text = v === undefined || v === null ? defaultValue : typeof v === 'string' ? v : JSON.stringify(v);
    return encodeURIComponent(text.toWellFormed());
  });
}
