import type { FastifyInstance } from 'fastify';
import type { Config } from '../../../config/config.ts';
import { isUuid } from '../../../domain/ids.ts';
import { AppError } from '../../../errors/app-error.ts';
import type { AppDeps } from '../../deps.ts';
import { Type } from '@sinclair/typebox';
import { field, inTheirWords, objectBody, readBodiesAsJson, simpleErrorHandler } from '../common.ts';
import { documentOnly, SimpleError, SmsAccepted, SmsSend, SmsStatus } from '../schemas.ts';
import { smsProxyStatus } from './status.ts';

/**
 * The provider seed 002's messages go to: the first configured provider of type `sms-batch` (the
 * batching lane is the seed's cost saving), else undefined — the `sms` channel route.
 */
export function smsProxyProvider(config: Pick<Config, 'providers'>): string | undefined {
  return config.providers.find((p) => p.type === 'sms-batch' && p.channel === 'sms')?.name;
}

function bad(message: string): AppError {
  return new AppError('HERALD_VALIDATION', message);
}

/**
 * Seed 002, the SMS proxy: POST /sms → 202 {"id"}, GET /sms/{id} → {"status"}. A thin adapter
 * over MessageService; errors are `{"error": "…"}` with 400 for anything the client got wrong.
 */
export function smsProxyRoutes(deps: AppDeps) {
  const provider = smsProxyProvider(deps.config);
  return async (app: FastifyInstance) => {
    readBodiesAsJson(app, { parse: true });
    app.setErrorHandler(simpleErrorHandler);
    documentOnly(app);
    const tags = ['compat: SMS proxy (seed 002)'];

    app.post(
      '/sms',
      {
        schema: {
          tags,
          summary: 'Queue an SMS for the next batch (seed 002)',
          body: SmsSend,
          response: { 202: SmsAccepted, 400: SimpleError, 401: SimpleError },
        },
      },
      async (req, reply) => {
        const body = objectBody(req.body);
        if (typeof body === 'string') throw bad(body);
        const phone = field(body, 'phone_number');
        const content = field(body, 'content');
        if (typeof phone !== 'string' || phone.trim() === '')
          throw bad('phone_number is required and must be a string');
        if (typeof content !== 'string' || content.trim() === '') throw bad('content must not be empty');
        const msgs = inTheirWords({ '/to': 'phone_number', '/text': 'content' }, () =>
          deps.messages.compose([{ channel: 'sms', to: phone, text: content, provider }]),
        );
        const [r] = await deps.messages.accept(msgs);
        return reply.status(202).send({ id: r!.id });
      },
    );

    app.get<{ Params: { id: string } }>(
      '/sms/:id',
      {
        schema: {
          tags,
          summary: 'Status of an SMS (seed 002); NOT_FOUND (200) for an unknown id',
          params: Type.Object({ id: Type.String({ description: 'The id POST /sms answered' }) }),
          response: { 200: SmsStatus, 401: SimpleError },
        },
      },
      async (req) => {
        const id = req.params.id.toLowerCase();
        const m = isUuid(id) ? await deps.store.messages.get(id) : undefined;
        // Only SMS ids are this API's: any other message reads as never planned here.
        return { status: smsProxyStatus(m?.channel === 'sms' ? m.state : undefined) };
      },
    );
  };
}
