/**
 * Seed 003 (notification service, Django REST Framework) under /api/: clients, mailings,
 * mailings/fullinfo/, mailings/{id}/info/, messages/. Field names, trailing slashes, status codes
 * and error shapes follow DRF; ids are Herald's UUIDs (docs/compat/notification.md).
 * An encapsulated plugin: its error handler, validators and body parsers stay here.
 */
import formbody from '@fastify/formbody';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { fieldsOf } from '../../../campaigns/input.ts';
import type { Campaign } from '../../../campaigns/model.ts';
import { isUuid } from '../../../domain/ids.ts';
import type { AppDeps } from '../../deps.ts';
import { campaignService } from '../../routes/campaigns/campaigns.routes.ts';
import { documentOnly } from '../schemas.ts';
import { DrfError, DrfValidation, drfErrorHandler, NOT_FOUND } from './drf.ts';
import { clientInput, clientView, mailingInput, mailingView, messageView } from './views.ts';

/** Lists answer plain arrays like the seed (no pagination), capped at this many items. */
export const LIST_CAP = 10_000;

const tags = ['compat: notification (seed 003)'];
const Detail = Type.Object({ detail: Type.String() });
const FieldErrors = Type.Record(Type.String(), Type.Array(Type.String()), {
  description: 'DRF validation errors: {"field": ["message"]}',
});
const NStr = Type.Union([Type.String(), Type.Null()]);
const Client = Type.Object({
  id: Type.String(),
  phone_number: Type.String({ description: '7XXXXXXXXXX' }),
  mobile_operator_code: Type.String({ description: 'Read-only: the three digits after the 7' }),
  tag: Type.String(),
  timezone: Type.String({ description: 'IANA time zone (UTC)' }),
});
const ClientIn = Type.Object({
  phone_number: Type.String({ pattern: '^7\\d{10}$' }),
  tag: Type.Optional(Type.String({ maxLength: 100 })),
  timezone: Type.Optional(Type.String()),
});
const Mailing = Type.Object({
  id: Type.String(),
  date_start: Type.String({ format: 'date-time' }),
  date_end: Type.String({ format: 'date-time' }),
  text: Type.String({ maxLength: 255 }),
  tag: Type.String(),
  mobile_operator_code: Type.String(),
  time_interval_start: Type.Union([Type.String({ description: 'HH:MM:SS, client local time' }), Type.Null()]),
  time_interval_end: Type.Union([Type.String(), Type.Null()]),
  time_start: Type.Union([
    Type.String({ description: 'Same as time_interval_start (the seed model’s name)' }),
    Type.Null(),
  ]),
  time_end: Type.Union([Type.String({ description: 'Same as time_interval_end' }), Type.Null()]),
});
const MailingIn = Type.Object({
  date_start: Type.String({ format: 'date-time' }),
  date_end: Type.String({ format: 'date-time' }),
  text: Type.String({ maxLength: 255 }),
  tag: Type.Optional(Type.String()),
  mobile_operator_code: Type.Optional(Type.String({ maxLength: 3 })),
  time_interval_start: Type.Optional(NStr),
  time_interval_end: Type.Optional(NStr),
  time_start: Type.Optional(NStr),
  time_end: Type.Optional(NStr),
});
const Msg = Type.Object({
  id: Type.String(),
  date_create: Type.String({ format: 'date-time' }),
  sending_status: Type.String({ description: '"sent" (sent or delivered) or "no sent"' }),
  state: Type.String({ description: "Herald's state of the message" }),
  mailing: NStr,
  client: NStr,
});
const PkParams = Type.Object({ pk: Type.String() });
const errs = { 400: Type.Union([Detail, FieldErrors]), 401: Detail, 404: Detail };

type Handler = (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;

export function notificationCompatRoutes(deps: AppDeps) {
  return async (root: FastifyInstance) => {
    await root.register(async (app) => plugin(app, deps), { prefix: '/api' });
  };
}

async function plugin(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const svc = campaignService(deps);
  app.setErrorHandler(drfErrorHandler);
  documentOnly(app);
  await app.register(formbody);
  const known: { re: RegExp; methods: string[] }[] = [];

  /** DRF paths end in a slash; the same path without it is served too (Django would redirect). */
  const route = (method: HTTPMethods, url: string, schema: Record<string, unknown>, handler: Handler) => {
    app.route({ method, url, schema: { tags, ...schema }, handler });
    // (The prefix already serves both /api and /api/ for '/'.)
    if (url !== '/') app.route({ method, url: url.replace(/\/$/, ''), schema: { ...schema, hide: true }, handler });
    const re = new RegExp(`^/api${url.replace(/:pk/, '[^/]+').replace(/\/$/, '')}/?$`);
    const k = known.find((x) => x.re.source === re.source);
    if (k) k.methods.push(method);
    else known.push({ re, methods: [method] });
  };
  const pk = (req: FastifyRequest) => {
    const id = (req.params as { pk: string }).pk;
    if (!isUuid(id)) throw new DrfError(404, NOT_FOUND);
    return id;
  };
  const client = async (req: FastifyRequest) => {
    const c = await deps.store.contacts.get(pk(req));
    if (!c) throw new DrfError(404, NOT_FOUND);
    return c;
  };
  const mailing = async (req: FastifyRequest): Promise<Campaign> => {
    const c = await deps.store.campaigns.get(pk(req));
    if (!c) throw new DrfError(404, NOT_FOUND);
    return c;
  };
  const duplicate = () => new DrfValidation({ phone_number: ['client with this Phone number already exists.'] });

  route(
    'GET',
    '/',
    { summary: 'API root (seed 003)', response: { 200: Type.Record(Type.String(), Type.String()) } },
    async (req) => {
      const base = `${req.protocol}://${req.host}/api`;
      return { clients: `${base}/clients/`, mailings: `${base}/mailings/`, messages: `${base}/messages/` };
    },
  );

  // Clients.
  route('GET', '/clients/', { summary: 'List clients', response: { 200: Type.Array(Client), 401: Detail } }, async () =>
    (await deps.store.contacts.list({}, LIST_CAP)).items.map(clientView),
  );
  route(
    'POST',
    '/clients/',
    { summary: 'Create a client', body: ClientIn, response: { 201: Client, ...errs } },
    async (req, reply) => {
      const input = clientInput(req.body, undefined, false);
      const [r] = await deps.store.contacts.insertMany([input], deps.clock.now());
      if (r!.kind === 'duplicate') throw duplicate();
      return reply.status(201).send(clientView((await deps.store.contacts.get(r!.id))!));
    },
  );
  route(
    'GET',
    '/clients/:pk/',
    { summary: 'A client', params: PkParams, response: { 200: Client, ...errs } },
    async (req) => clientView(await client(req)),
  );
  for (const method of ['PUT', 'PATCH'] as const) {
    route(
      method,
      '/clients/:pk/',
      {
        summary: method === 'PUT' ? 'Replace a client' : 'Change some fields of a client',
        params: PkParams,
        body: ClientIn,
        response: { 200: Client, ...errs },
      },
      async (req) => {
        const current = await client(req);
        const input = clientInput(req.body, current, method === 'PATCH');
        const r = await deps.store.contacts.update(current.id, input, deps.clock.now());
        if (r.kind === 'duplicate') throw duplicate();
        if (r.kind === 'not_found') throw new DrfError(404, NOT_FOUND);
        return clientView(r.contact);
      },
    );
  }
  route(
    'DELETE',
    '/clients/:pk/',
    { summary: 'Delete a client', params: PkParams, response: { 204: Type.Null(), ...errs } },
    async (req, reply) => {
      if (!(await deps.store.contacts.delete(pk(req)))) throw new DrfError(404, NOT_FOUND);
      return reply.status(204).send(null);
    },
  );

  // Mailings.
  route(
    'GET',
    '/mailings/',
    { summary: 'List mailings', response: { 200: Type.Array(Mailing), 401: Detail } },
    async () => {
      const page = await deps.store.campaigns.list(LIST_CAP);
      return page.items.reverse().map(mailingView);
    },
  );
  route(
    'POST',
    '/mailings/',
    {
      summary: 'Create a mailing',
      description: 'Starts at once when date_start ≤ now < date_end; otherwise by itself at date_start.',
      body: MailingIn,
      response: { 201: Mailing, ...errs },
    },
    async (req, reply) =>
      reply
        .status(201)
        .send(
          mailingView(await svc.create(mailingInput(req.body, undefined, false, deps.config.content.smsMaxSegments))),
        ),
  );
  route(
    'GET',
    '/mailings/fullinfo/',
    {
      summary: 'Statistics of every mailing: messages by status',
      response: { 200: Type.Object({}, { additionalProperties: true }), 401: Detail },
    },
    async () => {
      const all = await svc.allStats(LIST_CAP);
      const per: Record<string, unknown> = {};
      for (const s of all.reverse()) {
        const sent = (s.counts.sent ?? 0) + (s.counts.delivered ?? 0);
        per[s.campaign.id] = { 'Total messages': s.total, Sent: sent, 'No sent': s.total - sent, 'By state': s.counts };
      }
      return { 'Total number of mailings': all.length, 'The number of messages sent': per };
    },
  );
  route(
    'GET',
    '/mailings/:pk/',
    { summary: 'A mailing', params: PkParams, response: { 200: Mailing, ...errs } },
    async (req) => mailingView(await mailing(req)),
  );
  route(
    'GET',
    '/mailings/:pk/info/',
    { summary: 'Messages of one mailing', params: PkParams, response: { 200: Type.Array(Msg), ...errs } },
    async (req) => {
      const c = await mailing(req);
      return (await deps.store.campaigns.messages(c.id, LIST_CAP)).items.map(messageView);
    },
  );
  for (const method of ['PUT', 'PATCH'] as const) {
    route(
      method,
      '/mailings/:pk/',
      {
        summary: method === 'PUT' ? 'Replace a mailing' : 'Change some fields of a mailing',
        description:
          'After the start, text changes reach messages not yet sent and filter changes reach clients not yet fanned out.',
        params: PkParams,
        body: MailingIn,
        response: { 200: Mailing, ...errs, 409: Detail },
      },
      async (req) => {
        const current = await mailing(req);
        return mailingView(
          await svc.update(
            current.id,
            mailingInput(req.body, fieldsOf(current), method === 'PATCH', deps.config.content.smsMaxSegments),
          ),
        );
      },
    );
  }
  route(
    'DELETE',
    '/mailings/:pk/',
    {
      summary: 'Delete a mailing; messages not yet sent are cancelled',
      params: PkParams,
      response: { 204: Type.Null(), ...errs },
    },
    async (req, reply) => {
      await svc.remove((await mailing(req)).id);
      return reply.status(204).send(null);
    },
  );

  // Messages (read-only: Herald writes them).
  route(
    'GET',
    '/messages/',
    {
      summary: 'List messages of all mailings',
      querystring: Type.Object({ mailing: Type.Optional(Type.String()) }),
      response: { 200: Type.Array(Msg), 401: Detail },
    },
    async (req) => {
      const m = (req.query as { mailing?: string }).mailing;
      if (m !== undefined && !isUuid(m)) return [];
      return (await deps.store.campaigns.messages(m, LIST_CAP)).items.map(messageView);
    },
  );
  route(
    'GET',
    '/messages/:pk/',
    { summary: 'A message', params: PkParams, response: { 200: Msg, ...errs } },
    async (req) => {
      const m = await deps.store.messages.get(pk(req));
      if (!m || !m.campaignId) throw new DrfError(404, NOT_FOUND);
      return messageView(m);
    },
  );

  // DRF matches /mailings/fullinfo/ before /mailings/{pk}/: other methods there are a 405, not a 404.
  app.route({
    method: ['POST', 'PUT', 'PATCH', 'DELETE'],
    url: '/mailings/fullinfo/',
    schema: { hide: true },
    handler: async (req, reply) =>
      reply
        .status(405)
        .header('allow', 'GET')
        .send({ detail: `Method "${req.method}" not allowed.` }),
  });

  // DRF answers 405 for a known path with another method, 404 for anything else under /api/.
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]!;
    const k = known.find((x) => x.re.test(path));
    if (k)
      return reply
        .status(405)
        .header('allow', k.methods.join(', '))
        .send({ detail: `Method "${req.method}" not allowed.` });
    return reply.status(404).send({ detail: NOT_FOUND });
  });
}
