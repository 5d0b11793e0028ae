import { Type } from '@sinclair/typebox';
import { CHANNELS } from '../../../domain/message.ts';

const Source = (description: string) => Type.Optional(Type.String({ maxLength: 1_000_000, description }));

export const VariantSchema = Type.Object(
  {
    subject: Source('e-mail: the subject (Liquid)'),
    text: Source('e-mail or SMS: the text (Liquid)'),
    html: Source('e-mail: the HTML body (Liquid; output is HTML-escaped unless `| raw`)'),
    body: Source('webhook: the request body (Liquid; JSON output is sent as JSON)'),
  },
  { additionalProperties: false },
);

const Variants = Type.Record(Type.String({ maxLength: 35 }), VariantSchema, {
  description: 'One variant per locale, e.g. {"en": {…}, "de": {…}}',
  maxProperties: 100,
});

export const TemplateCreateSchema = Type.Object(
  {
    name: Type.String({ maxLength: 128, description: 'Unique; messages may name the template by it' }),
    channel: Type.Union(CHANNELS.map((c) => Type.Literal(c))),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 1000 }), Type.Null()])),
    defaultLocale: Type.Optional(Type.String({ description: 'Fallback locale (the first variant)' })),
    variants: Variants,
  },
  { additionalProperties: false },
);

export const TemplateVersionInputSchema = Type.Object(
  { defaultLocale: Type.Optional(Type.String()), variants: Variants },
  { additionalProperties: false },
);

export const TemplateSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  channel: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  latest: Type.Integer({ description: 'The newest version' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const VersionSchema = Type.Object({
  version: Type.Integer(),
  defaultLocale: Type.String(),
  variants: Variants,
  createdAt: Type.String({ format: 'date-time' }),
});

export const TemplateWithVersionSchema = Type.Object({ ...TemplateSchema.properties, current: VersionSchema });

export const PreviewInputSchema = Type.Object(
  {
    version: Type.Optional(Type.Integer({ minimum: 1 })),
    locale: Type.Optional(Type.String({ maxLength: 35 })),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'The variables' })),
    contactId: Type.Optional(
      Type.String({ description: 'Render for this contact (its attributes, and `contact.*`) instead of data' }),
    ),
    variants: Type.Optional(Variants),
  },
  { additionalProperties: false },
);

export const PreviewSchema = Type.Object({
  version: Type.Union([Type.Integer(), Type.Null()], { description: 'null when unsaved variants were rendered' }),
  locale: Type.String(),
  subject: Type.Optional(Type.String()),
  text: Type.Optional(Type.String()),
  html: Type.Optional(Type.String()),
  body: Type.Optional(Type.String()),
  segments: Type.Optional(Type.Integer({ description: 'SMS: parts the text takes' })),
  encoding: Type.Optional(Type.String({ description: 'SMS: GSM-7 or UCS-2' })),
});

export const TemplateRefSchema = Type.Object(
  {
    id: Type.String({ maxLength: 128, description: 'Template id or name' }),
    version: Type.Optional(Type.Integer({ minimum: 1, description: 'Default: the newest' })),
    locale: Type.Optional(Type.String({ maxLength: 35, description: 'Exact, then language, then the default' })),
    data: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'The variables' })),
  },
  { additionalProperties: false, description: 'Render a stored template instead of literal content' },
);
