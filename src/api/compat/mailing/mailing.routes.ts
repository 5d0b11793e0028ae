import type { FastifyInstance } from 'fastify';
import { isUuid } from '../../../domain/ids.ts';
import type { Message } from '../../../domain/message.ts';
import { AppError } from '../../../errors/app-error.ts';
import { applyReceipts } from '../../../services/receipts.ts';
import type { AppDeps } from '../../deps.ts';
import { Type } from '@sinclair/typebox';
import { inTheirWords, objectBody, readBodiesAsJson, simpleErrorHandler } from '../common.ts';
import { documentOnly, MailingSend, MailingView, MailingWebhook, SimpleError } from '../schemas.ts';
import { mailingStatus, webhookTarget } from './status.ts';

/** Seed 000 sends no subject; the delivery service still needs one. */
export const DEFAULT_SUBJECT = '(no subject)';

function bad(message: string): AppError {
  return new AppError('HERALD_VALIDATION', message);
}

function view(m: Pick<Message, 'id' | 'state' | 'priority'>) {
  return { request_id: m.id, status: mailingStatus(m.state), priority: m.priority };
}

/** `priority` as the PHP original took it: optional, an integer (or a numeric string), 0–9 here. */
function readPriority(raw: unknown): number {
  if (raw === undefined || raw === null || raw === '') return 0;
  const n = typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 9)
    throw bad('priority must be an integer from 0 to 9');
  return n;
}

function readString(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== 'string' || v.trim() === '') throw bad(`${name} is required and must be a string`);
  return v.trim();
}

/**
 * Seed 000, the mailing microservice: POST /send, GET /status/{id}, POST /status-webhook.
 * A thin adapter over MessageService and applyReceipts; errors are `{"error": "…"}`.
 */
export function mailingRoutes(deps: AppDeps) {
  return async (app: FastifyInstance) => {
    readBodiesAsJson(app, { parse: true });
    app.setErrorHandler(simpleErrorHandler);
    documentOnly(app);
    const tags = ['compat: mailing (seed 000)'];
    const errors = { 400: SimpleError, 401: SimpleError };
    const sendSchema = {
      tags,
      summary: 'Queue an e-mail (seed 000)',
      body: MailingSend,
      response: { 202: MailingView, ...errors },
    };

    app.post('/send', { schema: sendSchema }, async (req, reply) => {
      const body = objectBody(req.body);
      if (typeof body === 'string') throw bad(body);
      const [msg] = inTheirWords(
        { '/to': 'recipient', '/from': 'sender', '/html': 'message', '/text': 'message' },
        () =>
          deps.messages.compose([
            {
              channel: 'email',
              from: readString(body, 'sender'),
              to: readString(body, 'recipient'),
              html: readString(body, 'message'),
              subject: typeof body.subject === 'string' && body.subject.trim() ? body.subject : DEFAULT_SUBJECT,
              priority: readPriority(body.priority),
            },
          ]),
      );
      // Accepted = committed; the worker is woken at once, so "hand it over now or queue it" holds.
      const [r] = await deps.messages.accept([msg!]);
      return reply.status(202).send(view({ id: r!.id, state: r!.state, priority: msg!.priority }));
    });

    app.get<{ Params: { id: string } }>(
      '/status/:id',
      {
        schema: {
          tags,
          summary: 'Status of a queued e-mail (seed 000)',
          params: Type.Object({ id: Type.String({ description: 'request_id' }) }),
          response: { 200: MailingView, 401: SimpleError, 404: SimpleError },
        },
      },
      async (req) => {
        const id = req.params.id.toLowerCase();
        const m = isUuid(id) ? await deps.store.messages.get(id) : undefined;
        if (!m) throw new AppError('HERALD_NOT_FOUND', `request ${req.params.id} not found`);
        return view(m);
      },
    );

    app.post(
      '/status-webhook',
      {
        schema: {
          tags,
          summary: "The delivery service's status callback (seed 000)",
          body: MailingWebhook,
          response: { 200: MailingView, ...errors, 404: SimpleError },
        },
      },
      async (req) => {
        const body = objectBody(req.body);
        if (typeof body === 'string') throw bad(body);
        const id = body.ID ?? body.id;
        if (typeof id !== 'string' || id.trim() === '') throw bad('ID is required and must be a string');
        const status = body.STATUS ?? body.status;
        const to = webhookTarget(status);
        if (!to) throw bad('STATUS must be one of DELIVERED, REJECTED, FAILED');
        const messageId = await locate(deps, id.trim());
        if (!messageId) throw new AppError('HERALD_NOT_FOUND', `request ${id} not found`);
        const label = String(status).trim().toUpperCase();
        const outcome = await applyReceipts(
          deps,
          [
            {
              messageId,
              to,
              type: `receipt.${label.toLowerCase()}`,
              reason: to === 'delivered' ? undefined : `delivery service reported ${label}`,
              detail: JSON.stringify(body).slice(0, 2048),
            },
          ],
          'status-webhook',
        );
        if (!outcome.ok) throw new AppError('HERALD_NOT_FOUND', `request ${id} not found`);
        const m = await deps.store.messages.get(messageId);
        return view(m!);
      },
    );
  };
}

/** The webhook's ID: the request_id Herald answered, or the provider's own message id. */
async function locate(deps: AppDeps, id: string): Promise<string | undefined> {
  if (isUuid(id)) {
    const m = await deps.store.messages.get(id.toLowerCase());
    if (m) return m.id;
  }
  return (await deps.store.messages.findByProviderMessageId(id))?.id;
}
