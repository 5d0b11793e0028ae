import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { campaignFields, fieldsOf, type CampaignInput } from '../../../campaigns/input.ts';
import { CampaignService } from '../../../campaigns/service.ts';
import { invalidRequest } from '../../../errors/validation.ts';
import type { CampaignTemplate } from '../../../campaigns/model.ts';
import type { TemplateRef } from '../../../templates/service.ts';
import type { AppDeps } from '../../deps.ts';
import { ErrorSchema, MessageSchema } from '../messages/schemas.ts';
import { messageView } from '../messages/views.ts';
import {
  CampaignCreateSchema,
  CampaignIdParams,
  CampaignListQuery,
  CampaignPatchSchema,
  CampaignSchema,
  campaignView,
  CountsSchema,
  StatsQuery,
  statsView,
  TimingSchema,
} from './schemas.ts';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };
const tags = ['campaigns'];

/** Resolves a campaign's template reference and pins its version (the newest unless one is named). */
async function pinTemplate(deps: AppDeps, ref: TemplateRef, channel: string): Promise<CampaignTemplate> {
  const found = await deps.templates?.get(ref.id, ref.version).catch(() => undefined);
  if (!found)
    throw invalidRequest([
      { path: '/template/id', message: `no template ${ref.id}${ref.version ? ` version ${ref.version}` : ''}` },
    ]);
  if (found.template.channel !== channel)
    throw invalidRequest([
      {
        path: '/template/id',
        message: `template ${found.template.name} is for ${found.template.channel}, not ${channel}`,
      },
    ]);
  return { id: found.template.id, version: found.version.version, locale: ref.locale ?? null };
}

/** The service the runtime built (its changes kick the scheduler), or one of our own (API-only tests). */
export function campaignService(deps: AppDeps): CampaignService {
  return deps.campaigns ?? new CampaignService(deps);
}

/** Campaigns: CRUD, pause/resume/cancel, statistics. */
export function campaignRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    const svc = campaignService(deps);
    type Body = Omit<CampaignInput, 'template'> & { template?: TemplateRef | null | undefined };
    const fields = async (input: Body, base?: Parameters<typeof campaignFields>[1]) => {
      const channel = input.channel ?? base?.channel ?? 'sms';
      const template = input.template ? await pinTemplate(deps, input.template, channel) : input.template;
      const f = campaignFields(
        { ...input, template },
        base,
        svc.providerChannel,
        deps.clock.now(),
        deps.config.content.smsMaxSegments,
      );
      if (Array.isArray(f)) throw invalidRequest(f);
      return f;
    };

    app.post(
      '/v1/campaigns',
      {
        config: { scope: 'campaigns', audit: 'campaign.create' },
        schema: {
          tags,
          summary: 'Create a campaign',
          description:
            'A campaign whose startAt has passed (and endAt has not) starts at once; one with a future start ' +
            'starts by itself. Each message is due at the next opening of the window in the contact’s time ' +
            'zone and is never sent after endAt.',
          body: CampaignCreateSchema,
          response: { 201: CampaignSchema, ...errors },
        },
      },
      async (req, reply) => reply.status(201).send(campaignView(await svc.create(await fields(req.body)))),
    );

    app.get(
      '/v1/campaigns',
      {
        config: { scope: 'campaigns' },
        schema: {
          tags,
          summary: 'List campaigns, newest first',
          querystring: CampaignListQuery,
          response: {
            200: Type.Object({
              items: Type.Array(CampaignSchema),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const page = await deps.store.campaigns.list(req.query.limit ?? 50, req.query.cursor, req.query.state);
        return { items: page.items.map(campaignView), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/campaigns/stats',
      {
        config: { scope: 'campaigns' },
        schema: {
          tags,
          summary: 'Every campaign with its message counts by state',
          response: {
            200: Type.Object({
              items: Type.Array(
                Type.Object({
                  id: Type.String(),
                  name: Type.Union([Type.String(), Type.Null()]),
                  state: Type.String(),
                  total: Type.Integer(),
                  counts: CountsSchema,
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async () => ({
        items: (await svc.allStats()).map((s) => ({
          id: s.campaign.id,
          name: s.campaign.name,
          state: s.campaign.state,
          total: s.total,
          counts: s.counts,
        })),
      }),
    );

    app.get(
      '/v1/campaigns/:id',
      {
        config: { scope: 'campaigns' },
        schema: { tags, summary: 'A campaign', params: CampaignIdParams, response: { 200: CampaignSchema, ...errors } },
      },
      async (req) => campaignView(await svc.get(req.params.id)),
    );

    app.patch(
      '/v1/campaigns/:id',
      {
        config: { scope: 'campaigns', audit: 'campaign.update' },
        schema: {
          tags,
          summary: 'Change a campaign',
          description:
            'Before the start everything changes. After it, text, subject, priority, provider and endAt also change ' +
            'the messages not yet sent; filter and window changes reach contacts not yet fanned out; the channel ' +
            'cannot change. Finished and cancelled campaigns cannot change (409).',
          params: CampaignIdParams,
          body: CampaignPatchSchema,
          response: { 200: CampaignSchema, ...errors },
        },
      },
      async (req) => {
        const current = await svc.get(req.params.id);
        return campaignView(await svc.update(current.id, await fields(req.body, fieldsOf(current))));
      },
    );

    app.delete(
      '/v1/campaigns/:id',
      {
        config: { scope: 'campaigns', audit: 'campaign.delete' },
        schema: {
          tags,
          summary: 'Delete a campaign; its queued messages are cancelled (sent ones stay in the history)',
          params: CampaignIdParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (req, reply) => {
        await svc.remove(req.params.id);
        return reply.status(204).send(null);
      },
    );

    for (const action of ['pause', 'resume', 'cancel'] as const) {
      const summary = {
        pause: 'Pause: no more fan-out, queued messages are held',
        resume: 'Resume a paused campaign: held messages wait for their next window opening',
        cancel: 'Cancel: no more fan-out, queued messages are cancelled',
      }[action];
      app.post(
        `/v1/campaigns/:id/${action}`,
        {
          config: { scope: 'campaigns', audit: `campaign.${action}` },
          schema: { tags, summary, params: CampaignIdParams, response: { 200: CampaignSchema, ...errors } },
        },
        async (req) => campaignView(await svc[action](req.params.id)),
      );
    }

    app.get(
      '/v1/campaigns/:id/stats',
      {
        config: { scope: 'campaigns' },
        schema: {
          tags,
          summary: 'Statistics of one campaign, with its messages (paginated)',
          description:
            'Counts by state, delivery rate (delivered / all messages), first and last send, p50/p95 time from ' +
            'creation to delivery, and the messages newest first (filter by state; follow messages.nextCursor).',
          params: CampaignIdParams,
          querystring: StatsQuery,
          response: {
            200: Type.Object({
              campaign: CampaignSchema,
              counts: CountsSchema,
              total: Type.Integer(),
              deliveryRate: Type.Number(),
              timing: TimingSchema,
              messages: Type.Object({
                items: Type.Array(MessageSchema),
                nextCursor: Type.Union([Type.String(), Type.Null()]),
              }),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const stats = await svc.stats(req.params.id);
        const page = await deps.store.messages.list(
          { campaignId: req.params.id, state: req.query.state },
          req.query.limit ?? 50,
          req.query.cursor,
        );
        return {
          ...statsView(stats),
          messages: { items: page.items.map(messageView), nextCursor: page.nextCursor },
        };
      },
    );
  };
}
