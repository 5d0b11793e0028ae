import { Type } from '@sinclair/typebox';
import { UUID_PATTERN } from '../../../domain/ids.ts';
import { MESSAGE_STATES } from '../../../domain/states.ts';
import { CAMPAIGN_STATES, type Campaign } from '../../../campaigns/model.ts';
import type { CampaignStats } from '../../../campaigns/service.ts';

const NStr = (opts: Parameters<typeof Type.String>[0] = {}) => Type.Union([Type.String(opts), Type.Null()]);
const HHMM = '^([01][0-9]|2[0-3]):[0-5][0-9]$';

const WindowSchema = Type.Object(
  {
    from: Type.String({
      pattern: HHMM,
      'x-expected': 'a time of day HH:MM (00:00 to 23:59)',
      description: 'HH:MM, contact local time',
    }),
    to: Type.String({
      pattern: HHMM,
      'x-expected': 'a time of day HH:MM (00:00 to 23:59)',
      description: 'HH:MM (exclusive); earlier than from crosses midnight',
    }),
  },
  { additionalProperties: false },
);

const inputFields = {
  name: Type.Optional(NStr({ maxLength: 200 })),
  channel: Type.Optional(
    Type.Union([Type.Literal('sms'), Type.Literal('email')], { description: 'sms (default) or email' }),
  ),
  provider: Type.Optional(NStr({ maxLength: 128, description: 'Use this provider (default: the channel route)' })),
  from: Type.Optional(NStr({ maxLength: 320, description: 'E-mail: the From address (required); SMS: sender id' })),
  subject: Type.Optional(NStr({ maxLength: 998, description: 'E-mail subject (required for e-mail); a template' })),
  text: Type.Optional(
    Type.String({
      maxLength: 100_000,
      description:
        'Required unless a template (or, for e-mail, html) is given. Placeholders: {phone} {email} {tag} ' +
        '{operatorCode} {timezone} {id} {attributes.key}',
    }),
  ),
  html: Type.Optional(
    NStr({ maxLength: 2_000_000, description: 'E-mail: the HTML body, with the same {placeholders} as text' }),
  ),
  template: Type.Optional(
    Type.Union(
      [
        Type.Object(
          {
            id: Type.String({ maxLength: 128, description: 'Template id or name' }),
            version: Type.Optional(Type.Integer({ minimum: 1, description: 'Default: the newest, pinned at save' })),
            locale: Type.Optional(
              NStr({ maxLength: 35, description: "Default: each contact's `locale` attribute, else the template's" }),
            ),
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      { description: 'A stored template rendered for each contact (its attributes are the data; docs/templates.md)' },
    ),
  ),
  categories: Type.Optional(
    Type.Integer({ minimum: 0, description: 'Category flags: e-mails in a category carry one-click unsubscribe' }),
  ),
  filter: Type.Optional(
    Type.Object(
      {
        operatorCodes: Type.Optional(Type.Array(Type.String({ maxLength: 6 }), { maxItems: 1000 })),
        tags: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 1000 })),
      },
      {
        additionalProperties: false,
        description: 'Any of the operator codes AND any of the tags; empty lists match all',
      },
    ),
  ),
  startAt: Type.Optional(Type.String({ format: 'date-time' })),
  endAt: Type.Optional(Type.String({ format: 'date-time', description: 'Nothing is delivered after this' })),
  window: Type.Optional(Type.Union([WindowSchema, Type.Null()], { description: 'Local-time send window' })),
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 9 })),
};

export const CampaignCreateSchema = Type.Object(
  {
    ...inputFields,
    startAt: Type.String({ format: 'date-time' }),
    endAt: Type.String({ format: 'date-time', description: 'Nothing is delivered after this' }),
  },
  { additionalProperties: false },
);
export const CampaignPatchSchema = Type.Object(inputFields, { additionalProperties: false });

export const CampaignSchema = Type.Object({
  id: Type.String(),
  name: NStr(),
  channel: Type.String(),
  provider: NStr(),
  from: NStr(),
  subject: NStr(),
  text: Type.String(),
  html: NStr(),
  template: Type.Union([Type.Object({ id: Type.String(), version: Type.Integer(), locale: NStr() }), Type.Null()]),
  categories: Type.Integer(),
  filter: Type.Object({ operatorCodes: Type.Array(Type.String()), tags: Type.Array(Type.String()) }),
  startAt: Type.String({ format: 'date-time' }),
  endAt: Type.String({ format: 'date-time' }),
  window: Type.Union([Type.Object({ from: Type.String(), to: Type.String() }), Type.Null()]),
  priority: Type.Integer(),
  state: Type.Union(CAMPAIGN_STATES.map((s) => Type.Literal(s))),
  fanout: Type.Object({
    done: Type.Boolean(),
    contacts: Type.Integer({ description: 'Contacts fanned out so far' }),
    checkpoint: NStr({ description: 'Last contact id fanned out' }),
  }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  startedAt: NStr(),
  finishedAt: NStr(),
});

export const CountsSchema = Type.Record(Type.String(), Type.Integer(), {
  description: `Messages by state (${MESSAGE_STATES.join(', ')})`,
});

export const CampaignIdParams = Type.Object({ id: Type.String({ pattern: UUID_PATTERN, description: 'Campaign id' }) });

export const CampaignListQuery = Type.Object({
  state: Type.Optional(Type.Union(CAMPAIGN_STATES.map((s) => Type.Literal(s)))),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ pattern: UUID_PATTERN })),
});

export const StatsQuery = Type.Object({
  state: Type.Optional(
    Type.Union(
      MESSAGE_STATES.map((s) => Type.Literal(s)),
      { description: 'Only messages in this state' },
    ),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(
    Type.String({ pattern: UUID_PATTERN, description: 'messages.nextCursor of the previous page' }),
  ),
});

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms == null ? null : iso(ms));

export function campaignView(c: Campaign) {
  return {
    id: c.id,
    name: c.name,
    channel: c.channel,
    provider: c.provider,
    from: c.sender,
    subject: c.subject,
    text: c.text,
    html: c.html,
    template: c.template,
    categories: c.categories,
    filter: c.filter,
    startAt: iso(c.startAt),
    endAt: iso(c.endAt),
    window: c.window,
    priority: c.priority,
    state: c.state,
    fanout: { done: c.fanoutDone, contacts: c.fannedOut, checkpoint: c.checkpoint },
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
    startedAt: isoOrNull(c.startedAt),
    finishedAt: isoOrNull(c.finishedAt),
  };
}

export const TimingSchema = Type.Object({
  firstSentAt: NStr(),
  lastSentAt: NStr(),
  delivered: Type.Integer(),
  p50TimeToDeliveryMs: Type.Union([Type.Number(), Type.Null()], { description: 'From creation (fan-out) to delivery' }),
  p95TimeToDeliveryMs: Type.Union([Type.Number(), Type.Null()]),
});

export function statsView(s: CampaignStats) {
  return {
    campaign: campaignView(s.campaign),
    counts: s.counts,
    total: s.total,
    deliveryRate: s.deliveryRate,
    timing: {
      firstSentAt: isoOrNull(s.timing.firstSentAt),
      lastSentAt: isoOrNull(s.timing.lastSentAt),
      delivered: s.timing.delivered,
      p50TimeToDeliveryMs: s.timing.p50Ms,
      p95TimeToDeliveryMs: s.timing.p95Ms,
    },
  };
}
