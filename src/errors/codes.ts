/**
 * The one registry of Herald's error codes. Every error that reaches a client through the native
 * API carries one of these codes, its HTTP status and a message. `docs/errors.md` documents the
 * same table; `codes.test.ts` keeps the two in sync.
 */
export const ErrorCodes = {
  HERALD_UNAUTHORIZED: { status: 401, message: 'A valid API key is required (Authorization: Bearer <key>)' },
  HERALD_FORBIDDEN: { status: 403, message: 'This API key may not do that' },
  HERALD_VALIDATION: { status: 400, message: 'The request is not valid' },
  HERALD_BAD_JSON: { status: 400, message: 'The request body is not valid JSON' },
  HERALD_BODY_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  HERALD_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The content type is not supported' },
  HERALD_NOT_FOUND: { status: 404, message: 'Not found' },
  HERALD_ROUTE_NOT_FOUND: { status: 404, message: 'No such route' },
  HERALD_METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  HERALD_IDEMPOTENCY_CONFLICT: {
    status: 409,
    message: 'This Idempotency-Key was already used with a different request body',
  },
  HERALD_INVALID_STATE: { status: 409, message: 'The message is not in a state that allows this' },
  HERALD_CONFLICT: { status: 409, message: 'The resource conflicts with an existing one' },
  HERALD_UNKNOWN_PROVIDER: { status: 404, message: 'No provider with that name is configured' },
  HERALD_BAD_SIGNATURE: { status: 401, message: 'The signature or credentials of this receipt are not valid' },
  HERALD_BAD_RECEIPT: { status: 400, message: 'The receipt is not in the format this provider sends' },
  HERALD_UNKNOWN_MESSAGE: {
    status: 404,
    message: 'A receipt names a message Herald does not know, or one this provider did not carry; nothing was applied',
  },
  HERALD_BAD_TOKEN: { status: 403, message: 'The unsubscribe link is not valid' },
  HERALD_TOKEN_EXPIRED: { status: 410, message: 'The unsubscribe link has expired' },
  HERALD_UNAVAILABLE: { status: 503, message: 'Herald is not ready (database unreachable or shutting down)' },
  HERALD_INTERNAL: { status: 500, message: 'Internal error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ErrorCodes;
