import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { contactFields } from '../../../campaigns/input.ts';
import type { ContactFilter } from '../../../campaigns/model.ts';
import { AppError, coerceError } from '../../../errors/app-error.ts';
import { invalidRequest } from '../../../errors/validation.ts';
import type { AppDeps } from '../../deps.ts';
import { ErrorSchema } from '../messages/schemas.ts';
import { importContacts } from './import.ts';
import {
  ContactFilterSchema,
  ContactIdParams,
  ContactInputSchema,
  ContactListQuery,
  ContactSchema,
  contactView,
  ImportReportSchema,
} from './schemas.ts';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };
const tags = ['contacts'];

/** Contacts: CRUD, filtered list with cursor pagination, matching count, streamed bulk import. */
export function contactRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  return async (app) => {
    // The import body is handed over as a stream: no buffering, no body limit on a big file.
    app.addContentTypeParser(['text/csv', 'application/x-ndjson', 'application/ndjson'], (_req, payload, done) =>
      done(null, payload),
    );

    app.post(
      '/v1/contacts',
      {
        config: { scope: 'contacts' },
        schema: {
          tags,
          summary: 'Create a contact',
          body: ContactInputSchema,
          response: { 201: ContactSchema, ...errors },
        },
      },
      async (req, reply) => {
        const c = contactFields(req.body, undefined);
        if (Array.isArray(c)) throw invalidRequest(c);
        const [r] = await deps.store.contacts.insertMany([c], deps.clock.now());
        if (r!.kind === 'duplicate') throw new AppError('HERALD_CONFLICT', `A contact with phone ${r!.phone} exists`);
        return reply.status(201).send(contactView((await deps.store.contacts.get(r!.id))!));
      },
    );

    app.get(
      '/v1/contacts',
      {
        config: { scope: 'contacts' },
        schema: {
          tags,
          summary: 'List contacts (oldest first) with filters and search',
          querystring: ContactListQuery,
          response: {
            200: Type.Object({
              items: Type.Array(ContactSchema),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
            ...errors,
          },
        },
      },
      async (req) => {
        const q = req.query;
        const filter: ContactFilter = {
          operatorCodes: q.operatorCode,
          tags: q.tag,
          timezones: q.timezone,
          channel: q.channel,
          search: q.q,
        };
        const page = await deps.store.contacts.list(filter, q.limit ?? 100, q.cursor);
        return { items: page.items.map(contactView), nextCursor: page.nextCursor };
      },
    );

    app.post(
      '/v1/contacts/count',
      {
        config: { scope: 'contacts' },
        schema: {
          tags,
          summary: 'Count the contacts a campaign filter matches',
          description: 'Empty or absent lists match every contact. The admin UI shows this while a filter is edited.',
          body: ContactFilterSchema,
          response: { 200: Type.Object({ count: Type.Integer() }), ...errors },
        },
      },
      async (req) => ({ count: await deps.store.contacts.count(req.body) }),
    );

    app.post(
      '/v1/contacts/import',
      {
        config: { scope: 'contacts', audit: 'contact.import' },
        schema: {
          tags,
          summary: 'Import contacts from CSV or NDJSON (streamed)',
          description:
            'Content-Type text/csv (a header row; columns phone, email, operatorCode, tag, timezone, attributes as JSON, ' +
            'other columns become attributes) or application/x-ndjson (one contact object per line). Valid rows are ' +
            'imported; the report lists rejected rows with reasons (duplicate phone, bad time zone, …).',
          response: { 200: ImportReportSchema, ...errors },
        },
      },
      async (req) => {
        const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        if (type !== 'text/csv' && !type.endsWith('ndjson'))
          throw new AppError('HERALD_UNSUPPORTED_MEDIA_TYPE', 'Send text/csv or application/x-ndjson');
        try {
          return await importContacts(deps.store, req.body as Readable, type === 'text/csv' ? 'csv' : 'ndjson', () =>
            deps.clock.now(),
          );
        } catch (err) {
          const e = coerceError(err) as Error & { code?: string };
          if (typeof e.code === 'string' && e.code.startsWith('CSV_'))
            throw new AppError('HERALD_VALIDATION', `The CSV is malformed: ${e.message}`);
          throw e;
        }
      },
    );

    app.get(
      '/v1/contacts/:id',
      {
        config: { scope: 'contacts' },
        schema: { tags, summary: 'A contact', params: ContactIdParams, response: { 200: ContactSchema, ...errors } },
      },
      async (req) => {
        const c = await deps.store.contacts.get(req.params.id);
        if (!c) throw new AppError('HERALD_NOT_FOUND', `No contact ${req.params.id}`);
        return contactView(c);
      },
    );

    app.patch(
      '/v1/contacts/:id',
      {
        config: { scope: 'contacts' },
        schema: {
          tags,
          summary: 'Change a contact (fields given replace the stored ones)',
          params: ContactIdParams,
          body: ContactInputSchema,
          response: { 200: ContactSchema, ...errors },
        },
      },
      async (req) => {
        const current = await deps.store.contacts.get(req.params.id);
        if (!current) throw new AppError('HERALD_NOT_FOUND', `No contact ${req.params.id}`);
        const c = contactFields(req.body, current);
        if (Array.isArray(c)) throw invalidRequest(c);
        const r = await deps.store.contacts.update(req.params.id, c, deps.clock.now());
        if (r.kind === 'not_found') throw new AppError('HERALD_NOT_FOUND', `No contact ${req.params.id}`);
        if (r.kind === 'duplicate') throw new AppError('HERALD_CONFLICT', `A contact with phone ${c.phone} exists`);
        return contactView(r.contact);
      },
    );

    app.delete(
      '/v1/contacts/:id',
      {
        config: { scope: 'contacts', audit: 'contact.delete' },
        schema: {
          tags,
          summary: 'Delete a contact (its messages stay)',
          params: ContactIdParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (req, reply) => {
        if (!(await deps.store.contacts.delete(req.params.id)))
          throw new AppError('HERALD_NOT_FOUND', `No contact ${req.params.id}`);
        return reply.status(204).send(null);
      },
    );
  };
}
