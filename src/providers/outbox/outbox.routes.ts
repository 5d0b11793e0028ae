import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../errors/app-error.ts';
import type { OutboxEntry } from '../../store/outbox.repo.ts';
import type { Store } from '../../store/store.ts';

const PREVIEW = 200;
const NStr = Type.Union([Type.String(), Type.Null()]);

const OutboxItem = Type.Object({
  id: Type.String({ description: 'The Herald message id' }),
  channel: Type.String(),
  provider: Type.String(),
  recipient: Type.String(),
  sender: NStr,
  subject: NStr,
  preview: Type.String({ description: `The text (or the html without tags), first ${PREVIEW} characters` }),
  hasHtml: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});

const OutboxDetail = Type.Composite([
  Type.Omit(OutboxItem, ['preview', 'hasHtml']),
  Type.Object({
    text: NStr,
    html: NStr,
    metadata: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  }),
]);

function preview(e: OutboxEntry): string {
  const s = e.text ?? (e.html ? e.html.replace(/<[^>]*>/g, ' ') : '');
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > PREVIEW ? flat.slice(0, PREVIEW) + '…' : flat;
}

function itemView(e: OutboxEntry) {
  const { text: _t, html: _h, metadata: _m, createdAt, ...rest } = e;
  return { ...rest, preview: preview(e), hasHtml: e.html != null, createdAt: new Date(createdAt).toISOString() };
}

/**
 * The outbox: what the `outbox` provider caught (a development mail catcher). Read by people and
 * the admin UI; needs an API key like every API route.
 */
export function outboxRoutes(deps: { store: Store }): FastifyPluginAsyncTypebox {
  const repo = deps.store.outbox;
  return async (app) => {
    app.get(
      '/v1/outbox',
      {
        config: { scope: 'messages:read' },
        schema: {
          tags: ['outbox'],
          summary: 'Messages caught by the outbox provider, newest first',
          description: 'Filter by channel and recipient; follow nextCursor for the next page.',
          querystring: Type.Object(
            {
              channel: Type.Optional(Type.Union([Type.Literal('email'), Type.Literal('sms')])),
              recipient: Type.Optional(Type.String({ maxLength: 320 })),
              limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: '50 by default' })),
              cursor: Type.Optional(Type.String({ maxLength: 64 })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ items: Type.Array(OutboxItem), nextCursor: NStr }) },
        },
      },
      async (req) => {
        const q = req.query;
        const page = await repo.list({ channel: q.channel, recipient: q.recipient }, q.limit ?? 50, q.cursor);
        return { items: page.items.map(itemView), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/outbox/:id',
      {
        config: { scope: 'messages:read' },
        schema: {
          tags: ['outbox'],
          summary: 'One caught message with its full content (text and html)',
          params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
          response: { 200: OutboxDetail },
        },
      },
      async (req) => {
        const e = await repo.get(req.params.id);
        if (!e) throw new AppError('HERALD_NOT_FOUND', `No outbox message ${req.params.id}`);
        return { ...e, createdAt: new Date(e.createdAt).toISOString() };
      },
    );
  };
}
