/**
 * The UI's only way to data: the public Herald API with the operator's bearer key. Errors come
 * back as ApiError with the API's stable code, so pages can tell "not found" from "refused".
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
  /** The route does not exist on this server (a feature not installed or not yet built). */
  get unavailable(): boolean {
    return this.code === 'HERALD_ROUTE_NOT_FOUND' || (this.status === 404 && this.code === 'HTTP_404');
  }
}

export type Query = Record<string, string | number | boolean | string[] | undefined | null>;

export interface Api {
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body?: unknown): Promise<T>;
  del<T>(path: string): Promise<T>;
  /** Raw body upload (CSV import). */
  send<T>(method: string, path: string, body: BodyInit, contentType: string): Promise<T>;
}

export function qs(query?: Query): string {
  if (!query) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (Array.isArray(v)) for (const x of v) p.append(k, x);
    else if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export function createApi(key: string, onUnauthorized: () => void): Api {
  async function call<T>(method: string, path: string, body?: BodyInit, contentType?: string): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${key}`, accept: 'application/json' };
    if (contentType) headers['content-type'] = contentType;
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body: body ?? null });
    } catch {
      throw new ApiError(0, 'NETWORK', 'Herald could not be reached. Check the connection and try again.');
    }
    const text = await res.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!res.ok) {
      const e = (data as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
      const err = new ApiError(
        res.status,
        e?.code ?? `HTTP_${res.status}`,
        e?.message ?? `Herald answered ${res.status} ${res.statusText}`,
        e?.details,
      );
      if (res.status === 401) onUnauthorized();
      throw err;
    }
    return data as T;
  }
  const json = (b: unknown) => (b === undefined ? undefined : JSON.stringify(b));
  return {
    get: (path, query) => call('GET', path + qs(query)),
    post: (path, body) => call('POST', path, json(body ?? {}), 'application/json'),
    put: (path, body) => call('PUT', path, json(body ?? {}), 'application/json'),
    patch: (path, body) => call('PATCH', path, json(body ?? {}), 'application/json'),
    del: (path) => call('DELETE', path),
    send: (method, path, body, contentType) => call(method, path, body, contentType),
  };
}

/** Checks a key against the API without keeping it: true when Herald accepts it. */
export async function verifyKey(key: string): Promise<{ ok: true } | { ok: false; message: string }> {
  let refused = false;
  const api = createApi(key, () => (refused = true));
  try {
    await api.get('/v1/messages', { limit: 1 });
    return { ok: true };
  } catch (err) {
    if (refused) return { ok: false, message: 'Herald refused this API key. Check it and try again.' };
    // A valid key without messages:read: signed in; each page says which scope it lacks.
    if (err instanceof ApiError && err.status === 403) return { ok: true };
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}
