import {
  bearer,
  json,
  quote,
  startFakeServer,
  type FakeLog,
  type FakeMode,
  type FakeRequest,
  type ModeOptions,
} from './fake-server.ts';

/**
 * A fake of seed 003's "probe" SMS API (docs/providers/fbrq.md), faithful to what is known of it:
 * `POST {url}/send/{msgId}` with `Authorization: Bearer <token>` and JSON
 * `{"id": <int64 = msgId>, "phone": <integer>, "text": "…"}` → `200 {"code":0,"message":"OK"}`;
 * 401 for a wrong token; 400 when the body is not that shape or its id differs from the path's.
 *
 *   const fake = await startFbrqFake({ token: 't' });   // fake.url is the baseUrl (ends in /v1)
 *   fake.setMode('slow', { delayMs: 500 });             // ok | slow | fail | garbage | down
 *   fake.sent                                           // messages it accepted, in order
 */
export interface FbrqFakeOptions {
  /** The token it accepts (default `fbrq-test-token`). */
  token?: string;
  port?: number;
  log?: FakeLog;
}

export interface FbrqSent {
  /** The int64 id as the decimal text it was sent as (exact, beyond 2^53). */
  id: string;
  phone: string;
  text: string;
}

export async function startFbrqFake(opts: FbrqFakeOptions = {}) {
  const token = opts.token ?? 'fbrq-test-token';
  const sent: FbrqSent[] = [];
  const server = await startFakeServer((req, res) => {
    const m = /^\/v1\/send\/(\d+)$/.exec(req.path);
    if (req.method !== 'POST' || !m) return json(res, 404, { detail: 'Not Found' });
    if (bearer(req) !== token) return json(res, 401, { code: 401, message: 'Unauthorized' });
    const body = readBody(req);
    if (!body || body.id !== m[1]) return json(res, 400, { code: 400, message: 'Bad Request' });
    sent.push(body);
    opts.log?.(`SMS to ${body.phone}: ${quote(body.text)}`);
    return json(res, 200, { code: 0, message: 'OK' });
  }, opts.port);
  return {
    /** The baseUrl to configure. */
    url: `${server.url}/v1`,
    port: server.port,
    requests: server.requests,
    sent,
    token,
    setMode: (mode: FakeMode, o?: ModeOptions) => server.setMode(mode, o),
    close: () => server.close(),
  };
}

export type FbrqFake = Awaited<ReturnType<typeof startFbrqFake>>;

/** The body, with the integers kept as their exact decimal text; undefined when malformed. */
function readBody(req: FakeRequest): FbrqSent | undefined {
  if (!String(req.headers['content-type']).startsWith('application/json')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(req.body);
  } catch {
    return undefined;
  }
  const p = parsed as { id?: unknown; phone?: unknown; text?: unknown };
  if (typeof p.id !== 'number' || typeof p.phone !== 'number' || typeof p.text !== 'string') return undefined;
  const id = /"id"\s*:\s*(\d+)\s*[,}]/.exec(req.body)?.[1];
  const phone = /"phone"\s*:\s*(\d+)\s*[,}]/.exec(req.body)?.[1];
  if (!id || !phone) return undefined;
  return { id, phone, text: p.text };
}
