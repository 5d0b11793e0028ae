import { ApiError } from '../api.ts';

/** Field errors from the API's validation details (paths like /endAt, /window/from → endAt, window). */
export function fieldErrors(e: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (e instanceof ApiError && Array.isArray(e.details)) {
    for (const d of e.details as { path?: string; message?: string }[]) {
      const key = (d.path ?? '').replace(/^\//, '').split('/')[0] || 'form';
      out[key] = out[key] ? `${out[key]}; ${d.message}` : (d.message ?? 'is invalid');
    }
  }
  return out;
}
