import { Type } from '@sinclair/typebox';
import { UUID_PATTERN } from '../../../domain/ids.ts';
import type { Contact } from '../../../campaigns/model.ts';

const NStr = (opts: Parameters<typeof Type.String>[0] = {}) => Type.Union([Type.String(opts), Type.Null()]);

export const ContactInputSchema = Type.Object(
  {
    phone: Type.Optional(
      NStr({
        maxLength: 20,
        description: '7XXXXXXXXXX (seed 003) or E.164; spaces, dashes and parentheses are dropped',
      }),
    ),
    email: Type.Optional(NStr({ maxLength: 320 })),
    operatorCode: Type.Optional(
      NStr({ maxLength: 6, description: 'Mobile operator code; derived from a 7XXXXXXXXXX phone when absent' }),
    ),
    tag: Type.Optional(NStr({ maxLength: 100 })),
    timezone: Type.Optional(Type.String({ maxLength: 64, description: 'IANA time zone (UTC)' })),
    attributes: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'Any JSON; templates read {attributes.key}' }),
    ),
  },
  { additionalProperties: false },
);

export const ContactSchema = Type.Object({
  id: Type.String(),
  phone: NStr(),
  email: NStr(),
  operatorCode: NStr(),
  tag: NStr(),
  timezone: Type.String(),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

const SearchText = Type.String({
  minLength: 1,
  maxLength: 200,
  description:
    'Contacts whose phone, e-mail, tag or attributes (keys and values) contain this text, ignoring case; ' +
    'a phone-like text is matched by its digits ("+7 900 12" finds 79001234567)',
});

export const ContactFilterSchema = Type.Object(
  {
    operatorCodes: Type.Optional(Type.Array(Type.String({ maxLength: 6 }), { maxItems: 1000 })),
    tags: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 1000 })),
    timezones: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 1000 })),
    channel: Type.Optional(
      Type.Union([Type.Literal('sms'), Type.Literal('email')], {
        description: 'Only contacts reachable on this channel (a phone for sms, an e-mail for email)',
      }),
    ),
    search: Type.Optional(SearchText),
  },
  { additionalProperties: false },
);

export const ContactListQuery = Type.Object({
  operatorCode: Type.Optional(Type.Array(Type.String(), { description: 'Repeat for several (any of)' })),
  tag: Type.Optional(Type.Array(Type.String(), { description: 'Repeat for several (any of)' })),
  timezone: Type.Optional(Type.Array(Type.String())),
  channel: Type.Optional(Type.Union([Type.Literal('sms'), Type.Literal('email')])),
  q: Type.Optional(SearchText),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  cursor: Type.Optional(Type.String({ pattern: UUID_PATTERN, description: 'nextCursor of the previous page' })),
});

export const ContactIdParams = Type.Object({ id: Type.String({ pattern: UUID_PATTERN, description: 'Contact id' }) });

export const ImportReportSchema = Type.Object({
  accepted: Type.Integer(),
  rejected: Type.Integer(),
  errors: Type.Array(
    Type.Object({ row: Type.Integer({ description: '1-based data row (after a CSV header)' }), reason: Type.String() }),
    { description: 'The first 1000 rejected rows' },
  ),
});

const iso = (ms: number) => new Date(ms).toISOString();

export function contactView(c: Contact) {
  return {
    id: c.id,
    phone: c.phone,
    email: c.email,
    operatorCode: c.operatorCode,
    tag: c.tag,
    timezone: c.timezone,
    attributes: c.attributes,
    createdAt: iso(c.createdAt),
    updatedAt: iso(c.updatedAt),
  };
}
