/**
 * Shapes the document @fastify/swagger builds from the route schemas into the two Herald serves:
 * the native API (/openapi.json) and the compatibility APIs of the replaced systems
 * (/openapi-compat.json), which keep their own conventions (seed 003's trailing slashes, their
 * own error shapes). Compatibility routes are those tagged `compat: …`.
 */

type Json = Record<string, unknown>;
type Operation = Json & { tags?: string[]; operationId?: string; requestBody?: Json };

export const COMPAT_TAG_PREFIX = 'compat';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export interface DocumentOptions {
  compat: boolean;
  /** Seed routes are keyed (HERALD_COMPAT_AUTH, default true); the native API always is. */
  keyed: boolean;
  info: Json;
  tags: { name: string; description: string }[];
}

const isCompat = (op: Operation) => (op.tags ?? []).some((t) => t.startsWith(COMPAT_TAG_PREFIX));

/** One of the two documents, from the full one. */
export function documentFor(full: Json, opts: DocumentOptions): Json {
  const paths: Record<string, Json> = {};
  for (const [path, item] of Object.entries((full.paths ?? {}) as Record<string, Json>)) {
    const kept = Object.fromEntries(
      Object.entries(item).filter(([m, op]) => METHODS.includes(m) && isCompat(op as Operation) === opts.compat),
    );
    if (Object.keys(kept).length > 0) paths[path] = kept;
  }
  for (const item of Object.values(paths)) for (const op of Object.values(item)) finishOperation(op as Operation);
  const components = (full.components ?? {}) as Json;
  const doc: Json = {
    ...full,
    info: opts.info,
    tags: opts.tags.filter((t) =>
      Object.values(paths).some((item) => Object.values(item).some((op) => (op as Operation).tags?.includes(t.name))),
    ),
    security: opts.keyed ? [{ bearer: [] }] : [],
    paths,
    components: { ...components, schemas: usedSchemas(paths, (components.schemas ?? {}) as Json) },
  };
  return enumsFromConstants(doc) as Json;
}

/**
 * Per operation: a body marked `x-optional-body` (retry, cancel) is not required; the marker
 * goes. @fastify/swagger marks every body required, as Fastify needs one where a schema is set.
 */
function finishOperation(op: Operation): void {
  if (op['x-optional-body'] && op.requestBody) op.requestBody = { ...op.requestBody, required: false };
  delete op['x-optional-body'];
}

/** The component schemas the paths reference, directly or through other components. */
function usedSchemas(paths: Json, schemas: Json): Json {
  const used = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!v || typeof v !== 'object') return;
    for (const [k, child] of Object.entries(v)) {
      if (k === '$ref' && typeof child === 'string') {
        const name = child.replace('#/components/schemas/', '');
        if (!used.has(name) && name in schemas) {
          used.add(name);
          visit(schemas[name]);
        }
      } else if (k === 'mapping' && child && typeof child === 'object') {
        visit(Object.values(child).map(($ref) => ({ $ref })));
      } else visit(child);
    }
  };
  visit(paths);
  return Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
}

/**
 * `anyOf` of single-value enums (what a union of TypeBox literals becomes) → one `enum`, which
 * documentation tools and client generators show as a list of allowed values.
 */
function enumsFromConstants(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(enumsFromConstants);
  if (!v || typeof v !== 'object') return v;
  const o: Json = Object.fromEntries(Object.entries(v).map(([k, child]) => [k, enumsFromConstants(child)]));
  const branches = o.anyOf;
  if (!Array.isArray(branches) || branches.length < 2) return o;
  const single = (b: Json) =>
    Array.isArray(b.enum) && b.enum.length === 1 && Object.keys(b).every((k) => k === 'enum' || k === 'type');
  if (!branches.every((b: Json) => single(b) && b.type === (branches[0] as Json).type)) return o;
  const { anyOf: _anyOf, ...rest } = o;
  return { ...rest, type: (branches[0] as Json).type, enum: branches.map((b: Json) => (b.enum as unknown[])[0]) };
}

/**
 * An operationId for a route that has none: method + path words (`/v1/messages/{id}/cancel` with
 * POST → `postMessagesCancelById`). Stable: it changes only when the route does.
 */
export function operationIdFor(method: string, url: string): string {
  const words: string[] = [];
  const params: string[] = [];
  for (const seg of url.split('/').filter(Boolean)) {
    if (seg === 'v1') continue;
    if (seg.startsWith(':') || seg.startsWith('{')) params.push(seg.replace(/^[:{]|}$/g, ''));
    else words.push(...seg.split(/[^A-Za-z0-9]+/).filter(Boolean));
  }
  const pascal = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);
  const by = params.length > 0 ? `By${params.map(pascal).join('And')}` : '';
  return `${method.toLowerCase()}${words.map(pascal).join('')}${by}`;
}
