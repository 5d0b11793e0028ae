import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../../errors/app-error.ts';
import { ErrorCodes, type ErrorCode } from '../../errors/codes.ts';
import { applyReceipts, type ReceiptDeps } from '../../services/receipts.ts';
import type { ProviderHub } from '../hub.ts';
import type { ReceiptParse, ReceiptRequest } from '../registry.ts';
import { checkWebhookPassword, parseGenericReceipts } from './generic.ts';

/**
 * POST /v1/providers/{name}/events: delivery receipts from providers. No API key (providers
 * cannot send one): each provider's own check instead: its `parseReceipts` (signatures), or for
 * providers without one the generic {ID, STATUS} format behind optional basic auth
 * (`webhookPassword`). The raw body is kept for signature checks: this plugin replaces the
 * content-type parsers of its own scope only.
 */
export function receiptRoutes(deps: ReceiptDeps & { providers: ProviderHub }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

    app.post(
      '/v1/providers/:name/events',
      {
        config: { scope: 'receipt' },
        schema: {
          tags: ['providers'],
          summary: 'Delivery receipts from a provider',
          description:
            "Takes the provider's own receipt format (generic `{ID, STATUS}` for providers without one), checks its " +
            'signature or basic auth, and applies the state changes. All or nothing: an unknown message id ' +
            'answers 404 and changes nothing. No API key.',
          security: [],
          params: Type.Object({ name: Type.String() }),
          response: {
            200: Type.Object({ received: Type.Integer(), changed: Type.Integer(), unchanged: Type.Integer() }),
          },
        },
      },
      async (req, reply) => {
        const entry = deps.providers.set.byName.get(req.params.name);
        if (!entry) throw new AppError('HERALD_NOT_FOUND', `No provider named ${req.params.name}`);
        const rr = receiptRequest(req);
        let parsed: ReceiptParse;
        if (entry.provider.parseReceipts) {
          parsed = await entry.provider.parseReceipts(rr);
        } else {
          const password = entry.config.options.webhookPassword;
          if (typeof password === 'string' && password !== '' && !checkWebhookPassword(rr, password)) {
            reply.header('www-authenticate', `Basic realm="herald-${entry.config.name}"`);
            throw new AppError('HERALD_BAD_SIGNATURE');
          }
          if (rr.body === undefined) throw new AppError('HERALD_BAD_RECEIPT', 'Expected a JSON body');
          parsed = parseGenericReceipts(rr.body);
        }
        if (!parsed.ok) throw new AppError(knownCode(parsed.code, parsed.status), parsed.message);
        const outcome = await applyReceipts(deps, parsed.receipts, entry.config.name);
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
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      if (type.includes('json')) throw new AppError('HERALD_BAD_JSON', (err as Error).message);
    }
  }
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
