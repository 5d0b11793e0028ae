import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors/app-error.ts';
import { ErrorCodes, type ErrorCode } from '../../errors/codes.ts';
import { checkInput } from '../../api/plugins/input-limits.ts';
import { parseJsonText } from '../../api/plugins/json-body.ts';
import { applyReceipts, type ReceiptDeps } from '../../services/receipts.ts';
import type { ProviderHub } from '../hub.ts';
import type { ReceiptParse, ReceiptRequest } from '../registry.ts';
import { ErrorSchema } from '../../api/openapi/schema-kit.ts';
import { authorizeReceipt, carriedBy, receiptCheck, type Authenticate } from './access.ts';
import { parseGenericReceipts } from './generic.ts';

/**
 * POST /v1/providers/{name}/events: delivery receipts from providers, in each provider's own
 * format (its `parseReceipts`; the generic {ID, STATUS} format for providers without one).
 * Who may post is access.ts's `authorizeReceipt`: the provider's signature, its basic-auth
 * `webhookPassword`, or else an API key. A receipt applies only to messages that provider carried.
 * The raw body is kept for signature checks: this plugin replaces the content-type parsers of its
 * own scope only. New receipt sources need nothing here: a provider type with `parseReceipts`
 * and `signedReceipts` is enough.
 */
export function receiptRoutes(
  deps: ReceiptDeps & { providers: ProviderHub; authenticate: Authenticate },
): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    app.post(
      '/v1/providers/:name/events',
      {
        config: { scope: 'receipt' },
        schema: {
          tags: ['providers'],
          operationId: 'postProviderReceipts',
          summary: 'Delivery receipts from a provider',
          description:
            "Takes the provider's own receipt format (generic `{ID, STATUS}` for providers without one). A provider " +
            'with a signing key (Twilio, SendGrid, sms-batch) is checked by its signature; one with `webhookPassword` by ' +
            'basic auth; any other (the default outboxes) only with an API key. All or nothing: a message Herald does ' +
            'not know, or one this provider did not carry, answers 404 and changes nothing.',
          security: [{}, { providerBasic: [] }, { bearer: [] }],
          params: Type.Object({ name: Type.String({ description: 'The provider name (HERALD_CONFIG)' }) }),
          response: {
            200: Type.Object({ received: Type.Integer(), changed: Type.Integer(), unchanged: Type.Integer() }),
            400: ErrorSchema,
            401: ErrorSchema,
            404: ErrorSchema,
          },
        },
      },
      async (req, reply) => {
        const entry = deps.providers.set.byName.get(req.params.name);
        if (!entry) throw new AppError('HERALD_UNKNOWN_PROVIDER', `No provider named ${req.params.name} is configured`);
        const rr = receiptRequest(req);
        await authorizeReceipt(receiptCheck(entry), entry, rr, req, reply, deps.authenticate);
        let parsed: ReceiptParse;
        if (entry.provider.parseReceipts) parsed = await entry.provider.parseReceipts(rr);
        else if (rr.body === undefined) throw new AppError('HERALD_BAD_RECEIPT', 'Expected a JSON body');
        else parsed = parseGenericReceipts(rr.body);
        if (!parsed.ok) throw new AppError(knownCode(parsed.code, parsed.status), parsed.message);
        const { name, channel } = entry.config;
        const carried = carriedBy(deps.providers.set, name, channel);
        const outcome = await applyReceipts(deps, parsed.receipts, name, carried);
        if (!outcome.ok) {
          throw new AppError('HERALD_UNKNOWN_MESSAGE', undefined, { unknown: outcome.unknown });
        }
        return reply.send({ received: parsed.receipts.length, changed: outcome.changed, unchanged: outcome.unchanged });
      },
    );
  };
}

/** The request as a provider's parser sees it: raw body, parsed JSON or form fields, public URL. */
function receiptRequest(req: FastifyRequest): ReceiptRequest {
  const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  let body: unknown;
  if (type.includes('application/x-www-form-urlencoded')) {
    body = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  } else if (raw.length > 0) {
    // Some gateways post JSON as text/plain or without a type: read it as JSON if it is.
    try {
      body = parseJsonText(raw.toString('utf8'));
    } catch (err) {
      if (type.includes('json')) throw err;
    }
  }
  checkInput(body);
  // Behind a proxy the URL the provider used (and signed) comes from X-Forwarded-*.
  const first = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h)?.split(',')[0]?.trim();
  const proto = first(req.headers['x-forwarded-proto']) ?? req.protocol;
  const host = first(req.headers['x-forwarded-host']) ?? req.headers.host ?? 'localhost';
  return { url: `${proto}://${host}${req.url}`, headers: req.headers, rawBody: raw, body };
}

/** A parser's error code if it is registered, else the generic one for its status. */
function knownCode(code: string, status: number): ErrorCode {
  if (code in ErrorCodes) return code as ErrorCode;
  return status === 400 ? 'HERALD_BAD_RECEIPT' : 'HERALD_BAD_SIGNATURE';
}
