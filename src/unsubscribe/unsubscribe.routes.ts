import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bitsOf } from '../domain/categories.ts';
import { AppError } from '../errors/app-error.ts';
import type { UnsubscribeService } from './service.ts';
import type { UnsubscribeClaims, UnsubscribeTokens } from './tokens.ts';

/**
 * GET and POST /u/{token}: unsubscribe links. No API key: the signed token is the credential.
 * - POST (RFC 8058 one-click: mailbox providers send `List-Unsubscribe=One-Click`, form-encoded
 *   or multipart) unsubscribes at once; the page's own form may instead keep chosen categories.
 * - GET shows a page to confirm or choose categories and never changes anything, so link
 *   scanners that open every URL unsubscribe nobody (RFC 8058 §3.2).
 */
export function unsubscribeRoutes(deps: {
  tokens: UnsubscribeTokens;
  service: UnsubscribeService;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Any body: RFC 8058 allows form-encoded and multipart; only the page's form fields are read.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => done(null, body));
    // A wildcard, not `:token`: the router caps named parameters at 100 characters and tokens are longer.
    const params = Type.Object({ '*': Type.String({ maxLength: 2048, description: 'The token' }) });

    const claimsOf = (token: string): UnsubscribeClaims => {
      const v = deps.tokens.verify(token);
      if (v.ok) return v.claims;
      throw v.why === 'expired'
        ? new AppError('HERALD_TOKEN_EXPIRED')
        : new AppError('HERALD_BAD_TOKEN', `The unsubscribe link is not valid (${v.why})`);
    };

    app.get(
      '/u/*',
      { schema: { hide: true, summary: 'The unsubscribe page (changes nothing)', security: [], params } },
      async (req, reply) => {
        let c: UnsubscribeClaims;
        try {
          c = claimsOf(req.params['*']);
        } catch (err) {
          return page(reply, (err as AppError).status, 'Link not valid', `<p>${esc((err as AppError).message)}.</p>`);
        }
        const receiving = await deps.service.receiving(c);
        const action = `/u/${esc(req.params['*'])}`;
        const boxes = bitsOf(c.categories)
          .map(
            (bit) =>
              `<label><input type="checkbox" name="keep" value="${bit}"${(receiving & bit) !== 0 ? ' checked' : ''}> ` +
              `Category ${bit}</label>`,
          )
          .join('<br>');
        const manage = boxes
          ? `<form method="post" action="${action}"><input type="hidden" name="manage" value="1">` +
            `<p>Or choose what you still want to receive:</p><p>${boxes}</p><button type="submit">Save choices</button></form>`
          : '';
        return page(
          reply,
          200,
          'Unsubscribe',
          `<p>Stop ${c.categories ? 'these e-mails' : 'e-mails of this campaign'} to <strong>${esc(c.recipient)}</strong>?</p>` +
            `<form method="post" action="${action}"><input type="hidden" name="List-Unsubscribe" value="One-Click">` +
            `<button type="submit">Unsubscribe</button></form>${manage}`,
        );
      },
    );

    app.post(
      '/u/*',
      {
        schema: {
          // Links in e-mails for recipients, not an API for clients: docs/templates.md#unsubscribe.
          hide: true,
          summary: 'One-click unsubscribe (RFC 8058)',
          description:
            'Body `List-Unsubscribe=One-Click`. Idempotent. No API key: the signed token names the recipient.',
          security: [],
          params,
        },
      },
      async (req, reply) => {
        const c = claimsOf(req.params['*']);
        const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
        const keep = form.get('manage') === '1' ? form.getAll('keep').reduce((a, b) => a | (Number(b) || 0), 0) : 0;
        const r = await deps.service.keepOnly(c, keep);
        if (!wantsHtml(req)) return reply.send({ unsubscribed: true, recipient: c.recipient, ...r });
        const what = keep
          ? 'Your choices are saved.'
          : `${esc(c.recipient)} will no longer receive ${c.categories ? 'these e-mails' : 'e-mails like this'}.`;
        return page(reply, 200, 'Done', `<p>${what}</p>`);
      },
    );
  };
}

function wantsHtml(req: FastifyRequest): boolean {
  return String(req.headers.accept ?? '').includes('text/html');
}

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
        `<title>${esc(title)}</title><style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}` +
        `button{font:inherit;padding:.4rem 1rem}</style></head><body><h1>${esc(title)}</h1>${body}</body></html>`,
    );
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
