import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../errors/app-error.ts';
import { countSegments } from '../../../providers/sms/segments.ts';
import { validation } from '../../../services/messages.ts';
import type { Template, TemplateVersion } from '../../../templates/model.ts';
import { contactData, renderVersion, type TemplateService } from '../../../templates/service.ts';
import type { AppDeps } from '../../deps.ts';
import { ErrorSchema } from '../messages/schemas.ts';
import {
  PreviewInputSchema,
  PreviewSchema,
  TemplateCreateSchema,
  TemplateSchema,
  TemplateVersionInputSchema,
  TemplateWithVersionSchema,
  VersionSchema,
} from './schemas.ts';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };
const iso = (ms: number) => new Date(ms).toISOString();
const Params = Type.Object({ id: Type.String({ maxLength: 128, description: 'Template id or name' }) });

function templateView(t: Template) {
  return { ...t, createdAt: iso(t.createdAt), updatedAt: iso(t.updatedAt) };
}
function versionView(v: TemplateVersion) {
  return { version: v.version, defaultLocale: v.defaultLocale, variants: v.variants, createdAt: iso(v.createdAt) };
}

/** /v1/templates: stored templates with versions and locales (docs/templates.md). */
export function templateRoutes(deps: AppDeps & { templates: TemplateService }): FastifyPluginAsyncTypebox {
  const svc = deps.templates;
  return async (app) => {
    const tags = ['templates'];
    app.post(
      '/v1/templates',
      {
        config: { scope: 'messages:write', audit: 'template.create' },
        schema: {
          tags,
          summary: 'Create a template (version 1)',
          body: TemplateCreateSchema,
          response: { 201: TemplateWithVersionSchema, ...errors },
        },
      },
      async (req, reply) => {
        const r = await svc.create(req.body);
        return reply.status(201).send({ ...templateView(r.template), current: versionView(r.version) });
      },
    );

    app.get(
      '/v1/templates',
      {
        config: { scope: 'messages:read' },
        schema: {
          tags,
          summary: 'List templates, newest first',
          querystring: Type.Object({
            limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
            cursor: Type.Optional(Type.String()),
          }),
          response: {
            200: Type.Object({
              items: Type.Array(TemplateSchema),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const page = await svc.list(req.query.limit ?? 100, req.query.cursor);
        return { items: page.items.map(templateView), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/templates/:id',
      {
        config: { scope: 'messages:read' },
        schema: {
          tags,
          summary: 'A template with one version (the newest unless ?version=N)',
          params: Params,
          querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }),
          response: { 200: TemplateWithVersionSchema, ...errors },
        },
      },
      async (req) => {
        const r = await svc.get(req.params.id, req.query.version);
        return { ...templateView(r.template), current: versionView(r.version) };
      },
    );

    app.get(
      '/v1/templates/:id/versions',
      {
        config: { scope: 'messages:read' },
        schema: {
          tags,
          summary: 'Every version of a template, newest first',
          params: Params,
          response: { 200: Type.Object({ items: Type.Array(VersionSchema) }), ...errors },
        },
      },
      async (req) => ({ items: (await svc.versions(req.params.id)).versions.map(versionView) }),
    );

    app.post(
      '/v1/templates/:id/versions',
      {
        config: { scope: 'messages:write', audit: 'template.version' },
        schema: {
          tags,
          summary: 'Save a new version (earlier versions never change)',
          params: Params,
          body: TemplateVersionInputSchema,
          response: { 201: TemplateWithVersionSchema, ...errors },
        },
      },
      async (req, reply) => {
        const r = await svc.addVersion(req.params.id, req.body);
        return reply.status(201).send({ ...templateView(r.template), current: versionView(r.version) });
      },
    );

    app.delete(
      '/v1/templates/:id',
      {
        config: { scope: 'messages:write', audit: 'template.delete' },
        schema: {
          tags,
          summary: 'Delete a template and its versions (409 while a live campaign uses it)',
          params: Params,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (req, reply) => {
        await svc.remove(req.params.id);
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/v1/templates/:id/preview',
      {
        config: { scope: 'messages:read' },
        schema: {
          tags,
          summary: 'Render without sending',
          description:
            'Renders a version (or `variants` not yet saved) with `data`, or for a contact (`contactId`: its ' +
            'attributes at the top level and `contact.*`). A variable the data lacks is a 400 naming it.',
          params: Params,
          body: PreviewInputSchema,
          response: { 200: PreviewSchema, ...errors },
        },
      },
      async (req) => {
        const b = req.body;
        const { template, version } = await svc.get(req.params.id, b.version);
        const v = b.variants
          ? { ...version, version: 0, variants: b.variants, defaultLocale: Object.keys(b.variants)[0] ?? 'en' }
          : version;
        let data = b.data ?? {};
        if (b.contactId) {
          const contact = await deps.store.contacts.get(b.contactId);
          if (!contact) throw new AppError('HERALD_NOT_FOUND', `No contact ${b.contactId}`);
          data = contactData(contact);
        }
        const r = renderVersion(v, b.locale, data);
        if ('problems' in r) throw validation(r.problems.map((message) => ({ path: '/data', message })));
        const sms = template.channel === 'sms' && r.text !== undefined ? countSegments(r.text) : undefined;
        return {
          ...r,
          version: b.variants ? null : v.version,
          ...(sms ? { segments: sms.segments, encoding: sms.encoding } : {}),
        };
      },
    );
  };
}
