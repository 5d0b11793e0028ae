/**
 * A fuzzer over every operation of a running Herald's /openapi.json and /openapi-compat.json:
 * for each one it builds a valid-looking request from the operation's examples or schema, then
 * breaks it — wrong types, missing required fields, deep nesting (6,000 levels), NUL and lone
 * surrogates, huge strings and numbers, malformed JSON, the wrong content type, odd path and
 * query values, missing or bad keys. Every answer must be below 500: a 5xx to bad input is a
 * defect. Deterministic for a seed (mulberry32), so a failure can be replayed.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = Record<string, unknown>;
interface Operation {
  method: string;
  path: string;
  params: { name: string; in: string; required?: boolean; schema?: Schema }[];
  body?: { type: string; schema?: Schema; examples: Json[] };
}

export interface FuzzResult {
  /** Requests sent. */
  requests: number;
  /** Operations covered. */
  operations: number;
  /** Answers 500 or above. */
  fivexx: number;
  /** The first few 5xx, as `METHOD path (mutation) → status body`. */
  samples: string[];
  seed: number;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Stands for a nested array too deep for JSON.stringify; replaced in the text after stringifying. */
const DEEP = '\u0001deep\u0001';
const deepText = (n: number) => '['.repeat(n) + ']'.repeat(n);

const BAD_VALUES: Json[] = [
  null,
  true,
  -1,
  0,
  1.5,
  1e308,
  -1e308,
  9223372036854775807,
  '',
  ' ',
  'x'.repeat(20_000),
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udc00y',
  '💥',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '%s%n%x',
  '1970-13-45T99:99:99Z',
  'http://[::127.0.0.1]/',
  'javascript:alert(1)',
  {},
  [],
  [[[[]]]],
  { a: { b: { c: { d: {} } } } },
  DEEP,
];

const BAD_SEGMENTS = [
  'x',
  '0',
  '-1',
  '99999999999999999999999',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-7fff-bfff-ffffffffffff',
  '%00',
  'a%00b',
  '%ED%A0%80',
  '%F0%9F%92%A5',
  '..%2F..%2Fetc',
  'x'.repeat(5000),
  '%25',
  '+79001234567',
  'ann%40example.com',
  '%20',
];

const RAW_BODIES: { type: string; body: string | Buffer }[] = [
  { type: 'application/json', body: '{' },
  { type: 'application/json', body: '' },
  { type: 'application/json', body: 'null' },
  { type: 'application/json', body: '[]' },
  { type: 'application/json', body: '"text"' },
  { type: 'application/json', body: '12' },
  { type: 'application/json', body: '{"__proto__":{"admin":true}}' },
  { type: 'application/json', body: '{"constructor":{"prototype":{"x":1}}}' },
  { type: 'application/json', body: `{"a":${deepText(6000)}}` },
  { type: 'application/json', body: deepText(6000) },
  { type: 'application/json', body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]) },
  { type: 'application/json', body: '\ufeff{}' },
  { type: 'application/json; charset=latin1', body: '{}' },
  { type: 'text/plain', body: 'hello' },
  { type: 'application/x-www-form-urlencoded', body: 'a=1&a[b]=2&%00=%ff' },
  {
    type: 'multipart/form-data; boundary=x',
    body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--',
  },
  {
    type: 'application/xml',
    body: '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
  },
  { type: 'text/csv', body: 'phone,email\n"unterminated,\n\u0000,\ud800\n' },
  { type: 'application/x-ndjson', body: '{"phone":"+79001234567"}\n{bad\n' + `{"attributes":${deepText(6000)}}\n` },
];

export async function loadOperations(base: string): Promise<Operation[]> {
  const ops: Operation[] = [];
  for (const doc of ['/openapi.json', '/openapi-compat.json']) {
    const r = await fetch(`${base}${doc}`, { signal: AbortSignal.timeout(10_000) });
    if (!r.ok) throw new Error(`${doc}: HTTP ${r.status}`);
    const spec = (await r.json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
      components?: { schemas?: Record<string, Schema> };
    };
    const resolve = (s: unknown, depth = 0): Schema | undefined => {
      if (!s || typeof s !== 'object' || depth > 8) return undefined;
      const ref = (s as { $ref?: string }).$ref;
      if (ref) return resolve(spec.components?.schemas?.[ref.split('/').pop()!], depth + 1);
      return s as Schema;
    };
    for (const [path, item] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const params = ((op.parameters as Operation['params'] | undefined) ?? []).map((p) => ({
          ...p,
          schema: resolve(p.schema),
        }));
        let body: Operation['body'];
        const content = (
          op.requestBody as
            | {
                content?: Record<
                  string,
                  { schema?: unknown; examples?: Record<string, { value: Json }>; example?: Json }
                >;
              }
            | undefined
        )?.content;
        if (content) {
          const [type, c] = Object.entries(content)[0]!;
          const examples = [
            ...Object.values(c.examples ?? {}).map((e) => e.value),
            ...(c.example !== undefined ? [c.example] : []),
          ];
          body = { type, schema: resolveDeep(c.schema, resolve), examples };
        }
        ops.push({ method: method.toUpperCase(), path, params, body });
      }
    }
  }
  return ops;
}

/** The schema with every $ref replaced (to a bounded depth). */
function resolveDeep(
  s: unknown,
  resolve: (s: unknown, d?: number) => Schema | undefined,
  depth = 0,
): Schema | undefined {
  const r = resolve(s);
  if (!r || depth > 6) return r;
  const out: Schema = { ...r };
  if (r.properties && typeof r.properties === 'object')
    out.properties = Object.fromEntries(
      Object.entries(r.properties as Record<string, unknown>).map(([k, v]) => [k, resolveDeep(v, resolve, depth + 1)]),
    );
  if (r.items) out.items = resolveDeep(r.items, resolve, depth + 1);
  for (const k of ['oneOf', 'anyOf', 'allOf'])
    if (Array.isArray(r[k])) out[k] = (r[k] as unknown[]).map((x) => resolveDeep(x, resolve, depth + 1));
  return out;
}

/** A value that fits `schema`, roughly (enough to get past the first checks). */
function sample(schema: Schema | undefined, rnd: () => number, depth = 0): Json {
  if (!schema || depth > 6) return 'x';
  if ('const' in schema) return schema.const as Json;
  if (Array.isArray(schema.enum)) return schema.enum[Math.floor(rnd() * schema.enum.length)] as Json;
  if ('default' in schema && rnd() < 0.3) return schema.default as Json;
  for (const k of ['oneOf', 'anyOf']) {
    const alts = schema[k] as Schema[] | undefined;
    if (alts?.length) {
      const pick = alts[Math.floor(rnd() * alts.length)];
      const base = { ...schema, [k]: undefined };
      const merged = pick && !pick.type && base.type ? { ...base, ...pick } : pick;
      return sample(merged, rnd, depth + 1);
    }
  }
  if (Array.isArray(schema.allOf) && schema.allOf.length) return sample(schema.allOf[0] as Schema, rnd, depth + 1);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set((schema.required as string[] | undefined) ?? []);
      const o: Record<string, Json> = {};
      for (const [k, v] of Object.entries(props)) if (required.has(k) || rnd() < 0.4) o[k] = sample(v, rnd, depth + 1);
      return o;
    }
    case 'array':
      return [sample(schema.items as Schema | undefined, rnd, depth + 1)];
    case 'integer':
      return Math.max(Number(schema.minimum ?? 0), 1);
    case 'number':
      return Math.max(Number(schema.minimum ?? 0), 1.5);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      switch (schema.format) {
        case 'uuid':
          return '01999c1e-0000-7000-8000-000000000000';
        case 'date-time':
          return new Date(0).toISOString();
        case 'email':
          return 'ann@example.com';
        case 'uri':
          return 'http://127.0.0.1:9/x';
      }
      return 'x'.repeat(Math.max(1, Number(schema.minLength ?? 1)));
  }
}

/** Paths of `v` (objects and arrays), to pick one to break. */
function paths(
  v: Json,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
  depth = 0,
): (string | number)[][] {
  if (depth > 6) return out;
  const children: [string | number, Json][] = Array.isArray(v)
    ? v.map((x, i) => [i, x])
    : v && typeof v === 'object'
      ? Object.entries(v)
      : [];
  for (const [k, x] of children) {
    out.push([...prefix, k]);
    paths(x, [...prefix, k], out, depth + 1);
  }
  return out;
}

function setAt(v: Json, path: (string | number)[], value: Json | undefined): Json {
  if (path.length === 0) return value ?? null;
  const copy = structuredClone(v) as Record<string | number, Json>;
  let cur = copy;
  for (const k of path.slice(0, -1)) cur = cur[k] as Record<string | number, Json>;
  const last = path.at(-1)!;
  if (value === undefined) {
    if (Array.isArray(cur)) cur.splice(Number(last), 1);
    else delete cur[last];
  } else cur[last] = value;
  return copy;
}

interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  what: string;
}

function build(op: Operation, base: string, key: string, rnd: () => number): FuzzRequest {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const what: string[] = [];
  let path = op.path;
  for (const p of op.params.filter((x) => x.in === 'path')) {
    const seg = rnd() < 0.2 ? encodeURIComponent(scalar(sample(p.schema, rnd))) : pick(BAD_SEGMENTS);
    path = path.replace(`{${p.name}}`, seg);
    what.push(`${p.name}=${seg.slice(0, 40)}`);
  }
  const query: string[] = [];
  for (const p of op.params.filter((x) => x.in === 'query')) {
    const r = rnd();
    if (r < 0.4) continue;
    const v =
      r < 0.6
        ? encodeURIComponent(scalar(sample(p.schema, rnd)))
        : pick([
            '',
            '-1',
            'abc',
            '1e309',
            '%00',
            '%ED%A0%80',
            'x'.repeat(3000),
            '2026-99-99',
            '0',
            '99999999999999999999',
          ]);
    query.push(`${p.name}=${v}`);
    if (rnd() < 0.1) query.push(`${p.name}=${v}`); // repeated parameter
  }
  if (query.length) what.push(`?${query.join('&').slice(0, 80)}`);
  const headers: Record<string, string> = {};
  const auth = rnd();
  if (auth < 0.85) headers.authorization = `Bearer ${key}`;
  else if (auth < 0.92)
    headers.authorization = pick(['Bearer ', 'Basic Og==', 'Bearer hk_' + 'x'.repeat(300), 'Digest x']);
  if (auth >= 0.85) what.push(`auth=${headers.authorization ?? 'none'}`.slice(0, 40));
  for (const p of op.params.filter((x) => x.in === 'header'))
    if (rnd() < 0.5) headers[p.name] = pick(['', 'x'.repeat(2000), 'a b c', '\u00ff']);
  let body: string | Buffer | undefined;
  if (op.body || rnd() < 0.1) {
    const r = rnd();
    if (r < 0.2) {
      const raw = pick(RAW_BODIES);
      headers['content-type'] = raw.type;
      body = raw.body;
      what.push(`raw ${raw.type}: ${String(raw.body).slice(0, 30)}`);
    } else {
      const baseBody: Json =
        op.body?.examples.length && rnd() < 0.7 ? pick(op.body.examples) : sample(op.body?.schema, rnd);
      const ps = paths(baseBody);
      let value = baseBody;
      const m = rnd();
      if (m < 0.15 || ps.length === 0) {
        value = pick(BAD_VALUES);
        what.push(`body=${short(value)}`);
      } else if (m < 0.3) {
        const p = pick(ps);
        value = setAt(baseBody, p, undefined);
        what.push(`without ${p.join('.')}`);
      } else if (m < 0.4) {
        value = setAt(baseBody, [`extra${Math.floor(rnd() * 9)}`], pick(BAD_VALUES));
        what.push('extra field');
      } else {
        const p = pick(ps);
        const v = pick(BAD_VALUES);
        value = setAt(baseBody, p, v);
        what.push(`${p.join('.')}=${short(v)}`);
      }
      headers['content-type'] =
        op.body?.type.startsWith('application/json') || !op.body ? 'application/json' : op.body.type;
      body = JSON.stringify(value).replaceAll(JSON.stringify(DEEP), deepText(6000));
      if (!headers['content-type'].includes('json')) headers['content-type'] = 'application/json';
    }
  }
  return {
    method: op.method,
    url: `${base}${path}${query.length ? `?${query.join('&')}` : ''}`,
    headers,
    body,
    what: what.join(' '),
  };
}

/** A sampled value as a path or query value. */
function scalar(v: Json): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function short(v: Json): string {
  if (v === DEEP) return '[×6000]';
  const s = JSON.stringify(v);
  return s.length > 30 ? `${s.slice(0, 30)}…` : s;
}

/** Fuzzes every operation `perOperation` times against `base`; 4 requests in flight. */
export async function fuzz(base: string, key: string, perOperation: number, seed = 0x5eed): Promise<FuzzResult> {
  // Start from a ready Herald (a chaos run may have just brought the store back).
  const ready = Date.now() + 20_000;
  while (Date.now() < ready) {
    const r = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    await r?.arrayBuffer();
    if (r?.ok) break;
    await new Promise((res) => setTimeout(res, 200));
  }
  const ops = await loadOperations(base);
  const rnd = mulberry32(seed);
  const queue: FuzzRequest[] = [];
  for (let i = 0; i < perOperation; i++) for (const op of ops) queue.push(build(op, base, key, rnd));
  const result: FuzzResult = { requests: 0, operations: ops.length, fivexx: 0, samples: [], seed };
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < queue.length) {
        const q = queue[next++]!;
        result.requests++;
        let status: number;
        let text = '';
        try {
          const res = await fetch(q.url, {
            method: q.method,
            headers: q.headers,
            body: q.method === 'GET' || q.method === 'HEAD' ? undefined : q.body,
            signal: AbortSignal.timeout(15_000),
          });
          status = res.status;
          text = await res.text();
        } catch (err) {
          // fetch itself refused the request (a header it will not send): nothing reached Herald.
          if ((err as Error).name === 'TypeError' && (err as Error).message !== 'fetch failed') {
            result.requests--;
            continue;
          }
          // A reset or a hang on bad input is as bad as a 5xx.
          status = 599;
          text = String((err as Error).cause ?? err);
        }
        // /readyz answers 503 while the store is not ready: that is its job, not a fault.
        const readiness = status === 503 && q.url.startsWith(`${base}/readyz`);
        if (status >= 500 && !readiness) {
          result.fivexx++;
          if (result.samples.length < 10)
            result.samples.push(
              `${q.method} ${q.url.slice(base.length, base.length + 100)} (${q.what}) → ${status} ${text.slice(0, 200)}`,
            );
        }
      }
    }),
  );
  return result;
}
