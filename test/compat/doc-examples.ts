import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { TEST_KEY, type TestHerald } from '../helpers/herald.ts';

/**
 * Runs the curl examples of a docs page against a started Herald, so the page and the API cannot
 * drift. The conventions of such a page:
 *
 *   ```sh                       a curl command: -X, -H, -d (single-quoted JSON), the URL
 *   curl -i -X POST http://localhost:3000/send -H '…' -d '{…}'
 *   ```
 *   ```http                     the answer that follows it: status line, blank line, JSON body
 *   HTTP/1.1 202 Accepted
 *
 *   {"request_id": "<id>", …}
 *   ```
 *
 * In an expected body, a string "<…>" matches any value, and "<id>" also remembers it as $ID for
 * the commands that follow. `$HERALD_KEY` is the test key. A comment `<!-- doc-test: … -->` before
 * a command is handed to the test's `directive` first (e.g. `wait $ID sent`: the worker runs in
 * the background); `<!-- doc-test: skip -->` leaves the command out.
 */
export interface DocExample {
  line: number;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | undefined;
  status: number;
  expected: unknown;
  /** A `doc-test:` directive to run before the command (its words, `$ID` not yet substituted). */
  before?: string[];
}

export function parseDoc(file: string): DocExample[] {
  const text = readFileSync(file, 'utf8');
  const blocks = [...text.matchAll(/(<!-- doc-test: ([^>]*?) -->\s*)?```(sh|http)\n([\s\S]*?)```/g)];
  const out: DocExample[] = [];
  let pending: string[] | undefined;
  for (let i = 0; i < blocks.length; i++) {
    const b = blocks[i]!;
    const directive = b[2];
    if (directive && directive !== 'skip') pending = directive.split(/\s+/);
    if (b[3] !== 'sh' || !b[4]!.trimStart().startsWith('curl') || directive === 'skip') continue;
    const line = text.slice(0, b.index).split('\n').length;
    const next = blocks[i + 1];
    // Every command shows its answer: a command without one would silently go untested.
    assert.ok(next && next[3] === 'http', `${file}:${line}: a curl example must be followed by its \`\`\`http answer`);
    const cmd = parseCurl(b[4]!);
    const [statusLine, ...rest] = next[4]!.split('\n');
    const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(statusLine!)?.[1]);
    assert.ok(status, `${file}:${line}: the answer must start with a status line`);
    const bodyText = rest.join('\n').trim();
    out.push({ line, ...cmd, status, expected: bodyText ? JSON.parse(bodyText) : undefined, before: pending });
    pending = undefined;
  }
  return out;
}

/** A small shell-word splitter: quotes, backslash-newline continuations. Enough for the docs' curl lines. */
function words(src: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      has = true;
    } else if (c === '\\' && src[i + 1] === '\n') {
      i++;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else {
      cur += c;
    }
  }
  if (has || cur) out.push(cur);
  return out;
}

function parseCurl(src: string): Pick<DocExample, 'method' | 'path' | 'headers' | 'body'> {
  const w = words(src);
  let method: string | undefined;
  let url = '';
  let body: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 1; i < w.length; i++) {
    const a = w[i]!;
    if (a === '-X') method = w[++i];
    else if (a === '-H') {
      const h = w[++i]!;
      const colon = h.indexOf(':');
      headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
    } else if (a === '-d' || a === '--data' || a === '--data-raw') body = w[++i];
    else if (a.startsWith('http')) url = a;
  }
  return {
    method: method ?? (body !== undefined ? 'POST' : 'GET'),
    path: new URL(url).pathname + new URL(url).search,
    headers,
    body,
  };
}

/** Whether `actual` matches `expected`, where "<…>" strings match anything; captures "<id>". */
export function matches(expected: unknown, actual: unknown, vars: Record<string, string>, at = ''): void {
  if (typeof expected === 'string' && /^<[^>]+>$/.test(expected)) {
    assert.notEqual(actual, undefined, `${at || '/'} is missing`);
    if (expected === '<id>') vars.ID = String(actual);
    return;
  }
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${at || '/'} should be an array`);
    assert.equal(actual.length, expected.length, `${at || '/'} length`);
    expected.forEach((e, i) => matches(e, (actual as unknown[])[i], vars, `${at}/${i}`));
    return;
  }
  if (expected && typeof expected === 'object') {
    assert.ok(actual && typeof actual === 'object' && !Array.isArray(actual), `${at || '/'} should be an object`);
    assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), `${at || '/'} keys`);
    for (const [k, v] of Object.entries(expected))
      matches(v, (actual as Record<string, unknown>)[k], vars, `${at}/${k}`);
    return;
  }
  assert.deepEqual(actual, expected, `${at || '/'}`);
}

const substitute = (s: string, vars: Record<string, string>) =>
  s.replace(/\$\{?([A-Z_]+)\}?/g, (m, name: string) => (name === 'HERALD_KEY' ? TEST_KEY : (vars[name] ?? m)));

/** Replays every example of `file` in order through `h.inject` (or `inject`, for another listener). */
export async function runDoc(
  file: string,
  h: TestHerald,
  opts: {
    inject?: TestHerald['inject'];
    /** Runs a `doc-test:` directive; it may set variables (`$TOKEN`) for the commands that follow. */
    directive?: (words: string[], vars: Record<string, string>) => Promise<void>;
  } = {},
): Promise<number> {
  const examples = parseDoc(file);
  assert.ok(examples.length > 0, `${file} has no examples`);
  const vars: Record<string, string> = {};
  const inject = opts.inject ?? h.inject;
  for (const ex of examples) {
    if (ex.before)
      await opts.directive!(
        ex.before.map((w) => substitute(w, vars)),
        vars,
      );
    const headers = Object.fromEntries(Object.entries(ex.headers).map(([k, v]) => [k, substitute(v, vars)]));
    const res = await inject({
      method: ex.method as 'GET',
      url: substitute(ex.path, vars),
      headers,
      ...(ex.body !== undefined ? { payload: substitute(ex.body, vars) } : {}),
    });
    const where = `${file}:${ex.line} (${ex.method} ${ex.path})`;
    assert.equal(res.statusCode, ex.status, `${where}: status; body ${res.body}`);
    if (ex.expected === undefined) assert.equal(res.body, '', `${where}: expected no body`);
    else {
      try {
        matches(ex.expected, res.json(), vars, '');
      } catch (err) {
        throw new Error(`${where}: ${(err as Error).message}\nbody: ${res.body}`);
      }
    }
  }
  return examples.length;
}
