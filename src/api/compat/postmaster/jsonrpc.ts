/**
 * A JSON-RPC 2.0 server core (https://www.jsonrpc.org/specification), transport-free: raw text in,
 * the response (or nothing, for notifications) out. Batches are answered in request order, with
 * no entry for notifications; a batch of notifications only answers nothing at all (§6).
 */

import { describeField } from '../../../errors/validation.ts';
import { inputProblem } from '../../plugins/input-limits.ts';

export type RpcId = string | number | null;

export interface RpcError {
  code: number;
  message: string;
  data?: unknown;
}

export type RpcResponse =
  { jsonrpc: '2.0'; result: unknown; id: RpcId } | { jsonrpc: '2.0'; error: RpcError; id: RpcId };

/** A method's answer: expected failures are values (invalid params, business rules), not throws. */
export type MethodResult = { ok: true; result: unknown } | { ok: false; error: RpcError };

export type RpcMethod = (params: unknown) => Promise<MethodResult>;

/** The codes of §5.1. */
export const RpcCodes = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
} as const;

/** More requests than this in one batch are refused as one Invalid Request (a cap on work per HTTP request). */
export const MAX_BATCH = 1000;

export interface RpcOptions {
  /** Called with anything a method threw (answered as -32603, details hidden). */
  onInternalError?: (err: unknown, method: string) => void;
}

function failure(id: RpcId, code: number, message: string, data?: unknown): RpcResponse {
  return { jsonrpc: '2.0', error: data === undefined ? { code, message } : { code, message, data }, id };
}

export function invalidParams(message: string, data?: unknown): MethodResult {
  return {
    ok: false,
    error:
      data === undefined ? { code: RpcCodes.invalidParams, message } : { code: RpcCodes.invalidParams, message, data },
  };
}

/** Handles one HTTP body. Undefined: nothing to answer (notifications only). */
export async function handleRpc(
  raw: string,
  methods: ReadonlyMap<string, RpcMethod>,
  opts: RpcOptions = {},
): Promise<RpcResponse | RpcResponse[] | undefined> {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return failure(null, RpcCodes.parseError, 'Parse error');
  }
  if (!Array.isArray(body)) return handleOne(body, methods, opts);
  if (body.length === 0) return failure(null, RpcCodes.invalidRequest, 'Invalid Request: empty batch');
  if (body.length > MAX_BATCH) {
    return failure(null, RpcCodes.invalidRequest, `Invalid Request: a batch holds at most ${MAX_BATCH} requests`);
  }
  // Concurrently: Enqueue calls of one batch then share a group commit (one transaction).
  const answers = await Promise.all(body.map((item) => handleOne(item, methods, opts)));
  const out = answers.filter((a): a is RpcResponse => a !== undefined);
  return out.length > 0 ? out : undefined;
}

function validId(v: unknown): v is RpcId {
  return v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

async function handleOne(
  req: unknown,
  methods: ReadonlyMap<string, RpcMethod>,
  opts: RpcOptions,
): Promise<RpcResponse | undefined> {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) {
    return failure(null, RpcCodes.invalidRequest, 'Invalid Request: expected an object');
  }
  const r = req as Record<string, unknown>;
  const hasId = 'id' in r;
  if (hasId && !validId(r.id))
    return failure(null, RpcCodes.invalidRequest, 'Invalid Request: id must be a string, a number or null');
  const id: RpcId = hasId ? (r.id as RpcId) : null;
  if (r.jsonrpc !== '2.0') return failure(id, RpcCodes.invalidRequest, 'Invalid Request: jsonrpc must be "2.0"');
  if (typeof r.method !== 'string')
    return failure(id, RpcCodes.invalidRequest, 'Invalid Request: method must be a string');
  if ('params' in r && (typeof r.params !== 'object' || r.params === null)) {
    return failure(id, RpcCodes.invalidRequest, 'Invalid Request: params must be an object or an array');
  }
  // Text Herald cannot store (NUL, lone surrogates) or nesting too deep: the params are invalid.
  const limit = inputProblem(r.params);
  if (limit) {
    const where = describeField(`/params${limit.path}`);
    return hasId ? failure(id, RpcCodes.invalidParams, `Invalid params: ${where} ${limit.message}`) : undefined;
  }
  // A well-formed request without an id is a notification: run it, never answer (§4.1), errors included.
  const method = methods.get(r.method);
  if (!method) return hasId ? failure(id, RpcCodes.methodNotFound, 'Method not found') : undefined;
  let result: MethodResult;
  try {
    result = await method(r.params);
  } catch (err) {
    opts.onInternalError?.(err, r.method);
    result = { ok: false, error: { code: RpcCodes.internalError, message: 'Internal error' } };
  }
  if (!hasId) return undefined;
  return result.ok ? { jsonrpc: '2.0', result: result.result, id } : { jsonrpc: '2.0', error: result.error, id };
}

/**
 * Named parameters as gorilla/rpc's json2 codec (which postmaster used) accepts them: an object,
 * or an array holding one object. Absent params read as an empty object.
 */
export function namedParams(params: unknown): Record<string, unknown> | undefined {
  if (params === undefined) return {};
  if (Array.isArray(params)) return params.length === 1 ? namedParams(params[0]) : undefined;
  if (typeof params === 'object' && params !== null) return params as Record<string, unknown>;
  return undefined;
}
