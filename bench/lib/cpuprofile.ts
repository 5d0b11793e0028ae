/**
 * Reads a V8 CPU profile (`node --cpu-prof`) and answers self time grouped by where it goes:
 * node:sqlite, pg, Kysely, Fastify, undici, pino, GC, JSON, node core by module, Herald's own code
 * by file. A native function (no script URL) counts with the nearest JavaScript caller that has one;
 * JSON.parse/stringify, GC, "(program)" and idle have groups of their own.
 *
 * node:sqlite's statement methods get no frame of their own in a V8 profile: their time is the self
 * time of the JavaScript function that calls them. So a function of src/store/ named like the
 * method it calls (run, all, get, iterate, exec, prepare: the driver's adapters) counts as
 * node:sqlite. Code that moves those calls elsewhere keeps that naming, or adds its file to
 * SQLITE_CALLERS, so that profiles before and after stay comparable.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProfileFunction, ProfileGroup } from './results.ts';

export interface CpuProfile {
  /** Microseconds of CLOCK_MONOTONIC (process.hrtime's clock, shared by every process on the host). */
  startTime: number;
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
}

export const IDLE = '(idle)';

/** npm packages by the group they belong to (the rest show as `npm: <name>`). */
const PACKAGES: [RegExp, string][] = [
  [/^kysely$/, 'Kysely'],
  [/^(pg|pg-.+|postgres-.+|pgpass|split2)$/, 'pg'],
  [
    /^(fastify|@fastify\/.+|find-my-way|avvio|light-my-request|fast-json-stringify|fast-querystring|fast-uri|secure-json-parse|toad-cache|fastq|rfdc|ajv|ajv-formats|json-schema-.+|@sinclair\/typebox|process-warning|abstract-logging|fast-decode-uri-component|ret|safe-regex2)$/,
    'Fastify (+ ajv, routing, serialisation)',
  ],
  [/^undici$/, 'undici'],
  [
    /^(pino|pino-.+|@pinojs\/.+|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify)$/,
    'pino (logging)',
  ],
  [/^(prom-client|tdigest|bintrees)$/, 'prom-client (metrics)'],
];

/** node:sqlite's methods: a function of src/store/ of that name is the caller of node:sqlite (see above). */
const SQLITE_METHODS = new Set(['run', 'all', 'get', 'iterate', 'exec', 'prepare', 'columns', 'close']);
/** Files whose every function's self time is node:sqlite's (none yet besides the naming rule). */
const SQLITE_CALLERS: string[] = [];
const SQLITE = 'node:sqlite (statement runs, incl. fsync)';
const JSON_METHODS = new Set(['parse', 'stringify', 'JSONParse', 'JSONStringify']);

function packageOf(url: string): string | undefined {
  const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//g);
  if (!m) return undefined;
  return m
    .at(-1)!
    .replace(/^node_modules\//, '')
    .replace(/\/$/, '');
}

/** The group of a frame that has a script URL. */
function groupOfUrl(url: string, root: string): string {
  if (url.startsWith('node:internal/deps/undici')) return 'undici';
  if (url.startsWith('wasm://')) return "wasm (Node's TypeScript stripping at start-up; llhttp)";
  if (url.startsWith('node:')) {
    if (url === 'node:internal/stream_base_commons') return 'node core: socket writes';
    const mod = url
      .replace(/^node:(internal\/)?/, '')
      .split('/')[0]!
      .replace(/^_/, '');
    return `node core: ${mod.startsWith('http') ? 'http' : mod}`;
  }
  const pkg = packageOf(url);
  if (pkg) return PACKAGES.find(([re]) => re.test(pkg))?.[1] ?? `npm: ${pkg}`;
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const rel = relative(root, path);
  if (rel.startsWith('src/')) return `Herald: ${rel}`;
  if (rel.startsWith('bench/')) return 'bench harness';
  return 'other';
}

/** `node:http`, `fastify/lib/reply.js`, `src/queue/worker.ts`. */
function shortUrl(url: string, root: string): string {
  const inPkg = url.match(/.*node_modules\/(.*)$/);
  if (inPkg) return inPkg[1]!;
  if (!url.startsWith('file://')) return url;
  return relative(root, fileURLToPath(url));
}

export interface Analysis {
  totalMs: number;
  idleMs: number;
  groups: ProfileGroup[];
  top: ProfileFunction[];
}

/** Microseconds on the profile's clock (process.hrtime's), for an analysis window. */
export const monotonicUs = (): number => Number(process.hrtime.bigint() / 1000n);

/**
 * Self time by group and the top functions, counting only samples inside `window` (µs on the
 * profile's clock; default the whole profile): the measured load, without the start-up's module
 * loading, type stripping and schema compilation.
 */
export function analyse(p: CpuProfile, root: string, window?: { fromUs: number; toUs: number }, topN = 15): Analysis {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const baseCache = new Map<number, string>();
  const base = (id: number): string => {
    const hit = baseCache.get(id);
    if (hit) return hit;
    const { functionName: fn, url } = byId.get(id)!.callFrame;
    let g: string;
    if (fn === '(idle)') g = IDLE;
    else if (fn === '(garbage collector)') g = 'GC';
    else if (fn === '(program)') g = '(program): V8 and native work outside JS frames';
    else if (fn === '(root)') g = '(root)';
    else if (url) {
      g = groupOfUrl(url, root);
      const file = g.replace(/^Herald: /, '');
      if (file.startsWith('src/store/') && (SQLITE_METHODS.has(fn) || SQLITE_CALLERS.includes(file))) g = SQLITE;
    } else if (JSON_METHODS.has(fn)) g = 'JSON (parse, stringify)';
    else {
      const up = parent.get(id);
      g = up === undefined ? 'native' : base(up);
    }
    baseCache.set(id, g);
    return g;
  };
  /** Node core's time is named with the library or file it works for ("node core: fs ← pino (logging)"). */
  const groupOf = (id: number): string => {
    const g = base(id);
    if (!g.startsWith('node core')) return g;
    for (let up = parent.get(id); up !== undefined; up = parent.get(up)) {
      const c = base(up);
      if (c === '(root)') break;
      if (!c.startsWith('node core')) return `${g} ← ${c.replace(/ \(.*\)$/, '')}`;
    }
    return g;
  };
  const selfUs = new Map<number, number>();
  // A sample's time is the gap to the next sample (DevTools' convention).
  let at = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i] ?? 0;
    if (window && (at < window.fromUs || at > window.toUs)) continue;
    const dt = p.timeDeltas[i + 1] ?? 0;
    selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + Math.max(0, dt));
  }
  const groups = new Map<string, number>();
  const fns = new Map<string, ProfileFunction>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const g = groupOf(id);
    total += us;
    groups.set(g, (groups.get(g) ?? 0) + us);
    const n = byId.get(id)!.callFrame;
    const where = n.url ? `${shortUrl(n.url, root)}:${n.lineNumber + 1}` : '(native)';
    const key = `${n.functionName}@${n.url}:${n.lineNumber}@${g}`;
    const f = fns.get(key) ?? { name: n.functionName || '(anonymous)', where, group: g, selfMs: 0, busyShare: 0 };
    f.selfMs += us / 1000;
    fns.set(key, f);
  }
  const totalMs = total / 1000;
  const idleMs = (groups.get(IDLE) ?? 0) / 1000;
  const busy = Math.max(totalMs - idleMs, 1e-9);
  const all = [...groups]
    .filter(([g]) => g !== IDLE && g !== '(root)')
    .map(([group, us]) => ({ group, selfMs: us / 1000, share: us / 1000 / totalMs, busyShare: us / 1000 / busy }))
    .sort((a, b) => b.selfMs - a.selfMs);
  // Groups under 1% of the busy time are summed into one line.
  const small = all.filter((g) => g.busyShare < 0.01);
  const rest = small.reduce(
    (a, g) => ({ ...a, selfMs: a.selfMs + g.selfMs, share: a.share + g.share, busyShare: a.busyShare + g.busyShare }),
    { group: `everything else (${small.length} groups under 1% each)`, selfMs: 0, share: 0, busyShare: 0 },
  );
  return {
    totalMs,
    idleMs,
    groups: [...all.filter((g) => g.busyShare >= 0.01), ...(small.length ? [rest] : [])],
    top: [...fns.values()]
      .filter((f) => f.group !== IDLE)
      .map((f) => ({ ...f, busyShare: f.selfMs / busy }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, topN),
  };
}
