/**
 * Seed 004's URL templating: each `{name}` becomes the URL-encoded value of `data[name]`; a name
 * the data object lacks becomes `defaultValue` (HERALD_POSTBACK_DEFAULT_VALUE, '' by default).
 * Objects and arrays are JSON-encoded first; null becomes the default too.
 */
export function renderPostbackUrl(template: string, data: Record<string, unknown>, defaultValue: string): string {
  return template.replace(/\{([^{}/?#&=]+)\}/g, (_, name: string) => {
    const v = Object.hasOwn(data, name) ? data[name] : undefined;
    if (v === undefined || v === null) return encodeURIComponent(defaultValue);
    return encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v));
  });
}
