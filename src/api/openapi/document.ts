/**
 * Shapes the document @fastify/swagger builds from the route schemas into the two Herald serves:
 * the native API (/openapi.json) and the compatibility APIs of the replaced systems
 * (/openapi-compat.json), which keep their own conventions (seed 003's trailing slashes, their
 * own error shapes). Compatibility routes are those tagged `compat: …`.
 */

type Json = Record<string, unknown>;
type Operation = Json & { tags?: string[]; security?: Json[]; responses?: Record<string, Json>; requestBody?: Json };

export const COMPAT_TAG_PREFIX = 'compat';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const STATUS_WORDS: Record<string, string> = { '200': 'OK', '201': 'Created', '202': 'Accepted', '204': 'No content' };
const UNAUTHORIZED = {
  description: 'No valid API key',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

export interface DocumentOptions {
  compat: boolean;
  /** Seed routes are keyed (HERALD_COMPAT_AUTH, default true); the native API always is. */
  keyed: boolean;
  info: Json;
  tags: { name: string; description: string }[];
}

const isCompat = (op: Operation) => (op.tags ?? []).some((t) => t.startsWith(COMPAT_TAG_PREFIX));

/** One of the two documents, from the full one (which is not changed). */
export function documentFor(full: Json, opts: DocumentOptions): Json {
  const security = opts.keyed ? [{ bearer: [] }] : [];
  const paths: Record<string, Record<string, Operation>> = {};
  for (const [path, item] of Object.entries(structuredClone(full.paths ?? {}) as Record<string, Json>)) {
    const ops = Object.entries(item).filter(
      ([m, op]) => METHODS.includes(m) && isCompat(op as Operation) === opts.compat,
    );
    if (ops.length > 0) paths[path] = Object.fromEntries(ops) as Record<string, Operation>;
  }
  const operations = Object.values(paths).flatMap((item) => Object.values(item));
  for (const op of operations) finishOperation(op, opts.compat ? undefined : security);
  const components = (full.components ?? {}) as Json;
  const schemes = Object.entries((components.securitySchemes ?? {}) as Json);
  const usedSchemes = new Set([...security, ...operations.flatMap((op) => op.security ?? [])].flatMap(Object.keys));
  const doc: Json = {
    ...full,
    info: opts.info,
    tags: opts.tags.filter((t) => operations.some((op) => op.tags?.includes(t.name))),
    security,
    paths,
    components: {
      ...components,
      securitySchemes: Object.fromEntries(schemes.filter(([name]) => usedSchemes.has(name))),
      schemas: usedSchemas(paths, (components.schemas ?? {}) as Json),
    },
  };
  return enumsFromConstants(doc) as Json;
}

/**
 * Per operation: a body marked `x-optional-body` (retry, cancel) is not required (@fastify/swagger
 * marks every body required, as Fastify needs one where a schema is set); responses get a
 * description; a keyed operation of the native API documents its 401.
 */
function finishOperation(op: Operation, nativeSecurity: Json[] | undefined): void {
  if (op['x-optional-body'] && op.requestBody) op.requestBody = { ...op.requestBody, required: false };
  delete op['x-optional-body'];
  const responses = op.responses ?? {};
  for (const [status, r] of Object.entries(responses)) {
    if (r.description === 'Default Response') r.description = STATUS_WORDS[status] ?? 'Response';
  }
  const security = op.security ?? nativeSecurity;
  if (nativeSecurity && security?.some((s) => Object.keys(s).length > 0) && !responses['401'])
    op.responses = { ...responses, '401': UNAUTHORIZED };
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
  const branches = o.anyOf as Json[] | undefined;
  const single = (b: Json) =>
    Array.isArray(b.enum) && b.enum.length === 1 && Object.keys(b).every((k) => k === 'enum' || k === 'type');
  if (!Array.isArray(branches) || branches.length < 2) return o;
  if (!branches.every((b) => single(b) && b.type === branches[0]!.type)) return o;
  const { anyOf: _anyOf, ...rest } = o;
  return { ...rest, type: branches[0]!.type, enum: branches.map((b) => (b.enum as unknown[])[0]) };
}

/**
 * An operationId for a route that has none: method + path words (`/v1/campaigns/{id}/pause` with
 * POST → `postCampaignsPauseById`). Stable: it changes only when the route does.
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
