import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../../../errors/app-error.ts';
import { MAX_FLAGS } from '../../../domain/categories.ts';
import { recipientKey } from '../../../domain/recipients.ts';
import { PreferenceService } from '../../../services/preferences.ts';
import type { Preference } from '../../../store/preferences.repo.ts';
import type { AppDeps } from '../../deps.ts';
import { ErrorSchema } from '../messages/schemas.ts';

const errors = { 400: ErrorSchema, 401: ErrorSchema, 404: ErrorSchema };

export const RecipientParams = Type.Object({
  recipient: Type.String({ minLength: 1, maxLength: 320, description: 'E-mail address or phone number' }),
});

const Flags = Type.Integer({ minimum: 0, maximum: MAX_FLAGS });
const PreferenceSchema = Type.Object({
  recipient: Type.String({ description: 'The recipient as Herald keys it (e-mail lowercased)' }),
  optOut: Type.Integer({ description: 'Opt-out category flags; 1 = every category welcome; 0 = never set' }),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

function view(recipient: string, p: Preference | undefined) {
  return {
    recipient: p?.recipient ?? recipientKey(recipient),
    optOut: p?.optOut ?? 0,
    updatedAt: p ? new Date(p.updatedAt).toISOString() : null,
  };
}

/**
 * Opt-out preferences (postmaster's UpdatePrefs, natively): a message whose categories share a
 * bit with the recipient's opt-out set is never sent and ends `suppressed`.
 */
export function preferenceRoutes(deps: AppDeps): FastifyPluginAsyncTypebox {
  const prefs = new PreferenceService({ store: deps.store, clock: deps.clock });
  return async (app) => {
    app.get(
      '/v1/preferences/:recipient',
      {
        config: { scope: 'contacts' },
        schema: {
          tags: ['preferences'],
          summary: "A recipient's opt-out category flags",
          description: 'A recipient who never set preferences reads as optOut 0 with updatedAt null.',
          params: RecipientParams,
          response: { 200: PreferenceSchema, ...errors },
        },
      },
      async (req) => view(req.params.recipient, await prefs.get(req.params.recipient)),
    );

    app.put(
      '/v1/preferences/:recipient',
      {
        config: { scope: 'contacts', audit: 'preference.set' },
        schema: {
          tags: ['preferences'],
          summary: "Replace a recipient's opt-out category flags",
          description:
            'Body `{"optOut": n}` (or postmaster\'s `{"flags": n}`). Each bit set drops messages carrying it. ' +
            '1 opts into everything (bit 1 is reserved: no message carries it); 0 is refused.',
          params: RecipientParams,
          body: Type.Object(
            { optOut: Type.Optional(Flags), flags: Type.Optional(Flags) },
            { additionalProperties: false },
          ),
          response: { 200: PreferenceSchema, ...errors },
        },
      },
      async (req) => {
        const { optOut, flags } = req.body;
        if ((optOut === undefined) === (flags === undefined)) {
          throw new AppError('HERALD_VALIDATION', 'Send exactly one of optOut or flags', [
            { path: '/optOut', message: 'exactly one of optOut or flags is required' },
          ]);
        }
        const r = await prefs.set(req.params.recipient, optOut ?? flags);
        if (!r.ok) throw new AppError('HERALD_VALIDATION', r.problem, [{ path: '/optOut', message: r.problem }]);
        return view(req.params.recipient, r.preference);
      },
    );

    app.delete(
      '/v1/preferences/:recipient',
      {
        config: { scope: 'contacts', audit: 'preference.clear' },
        schema: {
          tags: ['preferences'],
          summary: "Forget a recipient's preferences (they receive every category again)",
          params: RecipientParams,
          response: { 204: Type.Null(), ...errors },
        },
      },
      async (req, reply) => {
        if (!(await prefs.clear(req.params.recipient)))
          throw new AppError('HERALD_NOT_FOUND', `No preferences for ${req.params.recipient}`);
        return reply.status(204).send(null);
      },
    );
  };
}
