import type { Clock } from '../domain/clock.ts';
import type { MessageInput, Problem } from '../domain/compose.ts';
import type { Channel } from '../domain/message.ts';
import { AppError } from '../errors/app-error.ts';
import { validation } from '../services/messages.ts';
import type { Page, Store } from '../store/store.ts';
import type { TemplateContact } from '../campaigns/template.ts';
import { checkSyntax, render, TemplateError } from './engine.ts';
import {
  CHANNEL_FIELDS,
  pickLocale,
  VARIANT_FIELDS,
  type RenderedContent,
  type Template,
  type TemplateVariant,
  type TemplateVersion,
} from './model.ts';

/** A template as a client writes it (POST /v1/templates and new versions). */
export interface TemplateInput {
  name?: string | undefined;
  channel?: Channel | undefined;
  description?: string | null | undefined;
  defaultLocale?: string | undefined;
  variants: Record<string, TemplateVariant>;
}

/** A message's or campaign's reference to a template. */
export interface TemplateRef {
  id: string;
  version?: number | undefined;
  locale?: string | null | undefined;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const LOCALE_RE = /^[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8})*$/;

/**
 * Stored templates: create, version, read, delete, render. A version is immutable, so a message
 * or campaign that names one always renders the same content; HTML output is escaped.
 */
export class TemplateService {
  private readonly store: Store;
  private readonly clock: Clock;

  constructor(deps: { store: Store; clock: Clock }) {
    this.store = deps.store;
    this.clock = deps.clock;
  }

  async create(input: TemplateInput): Promise<{ template: Template; version: TemplateVersion }> {
    const problems: Problem[] = [];
    if (!input.name || !NAME_RE.test(input.name))
      problems.push({ path: '/name', message: 'is required: letters, digits, _ . - (up to 128)' });
    if (!input.channel) problems.push({ path: '/channel', message: 'is required: email, sms or webhook' });
    const defaultLocale = checkVariants(input, input.channel ?? 'email', problems);
    if (problems.length > 0) throw validation(problems);
    const r = await this.store.templates.insert(
      {
        name: input.name!,
        channel: input.channel!,
        description: input.description ?? null,
        defaultLocale,
        variants: input.variants,
      },
      this.clock.now(),
    );
    if (r.kind === 'conflict') throw new AppError('HERALD_CONFLICT', `A template named ${input.name} exists`);
    return { template: r.template, version: (await this.store.templates.version(r.template.id, 1))! };
  }

  async addVersion(idOrName: string, input: TemplateInput): Promise<{ template: Template; version: TemplateVersion }> {
    const t = await this.find(idOrName);
    const problems: Problem[] = [];
    const defaultLocale = checkVariants(input, t.channel, problems);
    if (problems.length > 0) throw validation(problems);
    const r = await this.store.templates.addVersion(
      t.id,
      { defaultLocale, variants: input.variants },
      this.clock.now(),
    );
    if (r.kind === 'not_found') throw new AppError('HERALD_NOT_FOUND', `No template ${idOrName}`);
    return { template: { ...t, latest: r.version.version, updatedAt: r.version.createdAt }, version: r.version };
  }

  async find(idOrName: string): Promise<Template> {
    const t = await this.store.templates.find(idOrName);
    if (!t) throw new AppError('HERALD_NOT_FOUND', `No template ${idOrName}`);
    return t;
  }

  /** The template and one version (the newest when none is named). */
  async get(idOrName: string, version?: number): Promise<{ template: Template; version: TemplateVersion }> {
    const template = await this.find(idOrName);
    const v = await this.store.templates.version(template.id, version ?? template.latest);
    if (!v) throw new AppError('HERALD_NOT_FOUND', `Template ${template.name} has no version ${version}`);
    return { template, version: v };
  }

  list(limit: number, cursor?: string): Promise<Page<Template>> {
    return this.store.templates.list(limit, cursor);
  }

  async versions(idOrName: string): Promise<{ template: Template; versions: TemplateVersion[] }> {
    const template = await this.find(idOrName);
    return { template, versions: await this.store.templates.versions(template.id) };
  }

  /** Deletes a template unless a live campaign renders it (409 naming the campaigns). */
  async remove(idOrName: string): Promise<void> {
    const t = await this.find(idOrName);
    const live = await this.store.templates.liveCampaigns(t.id);
    if (live.length > 0)
      throw new AppError(
        'HERALD_CONFLICT',
        `Template ${t.name} is used by live campaigns; finish or cancel them first`,
        {
          campaigns: live,
        },
      );
    await this.store.templates.delete(t.id);
  }

  /**
   * Fills the content fields of every input that names a template (subject/text/html, or a
   * webhook's body), or throws one HERALD_VALIDATION listing every problem: unknown template or
   * version, wrong channel, and each variable the data lacks.
   */
  async applyToInputs(
    inputs: (MessageInput & { template?: (TemplateRef & { data?: unknown }) | undefined })[],
    prefix = '',
  ): Promise<MessageInput[]> {
    // The common case (no template anywhere) allocates nothing: the inputs are already messages.
    if (!inputs.some((i) => i.template !== undefined)) return inputs;
    const problems: Problem[] = [];
    const cache = new Map<string, Promise<{ template: Template; version: TemplateVersion } | undefined>>();
    const load = (ref: TemplateRef) => {
      const key = `${ref.id}\u0000${ref.version ?? ''}`;
      let p = cache.get(key);
      if (!p) {
        p = this.get(ref.id, ref.version).catch(() => undefined);
        cache.set(key, p);
      }
      return p;
    };
    const out: MessageInput[] = [];
    for (const [i, input] of inputs.entries()) {
      const { template: ref, ...rest } = input;
      out.push(rest);
      if (!ref) continue;
      const at = `${inputs.length > 1 || prefix ? `${prefix}/${i}` : ''}/template`;
      const found = await load(ref);
      if (!found) {
        problems.push({
          path: `${at}/id`,
          message: `no template ${ref.id}${ref.version ? ` with version ${ref.version}` : ''}`,
        });
        continue;
      }
      if (found.template.channel !== input.channel) {
        problems.push({
          path: `${at}/id`,
          message: `template ${found.template.name} is for ${found.template.channel}, not ${input.channel}`,
        });
        continue;
      }
      const data = ref.data && typeof ref.data === 'object' ? (ref.data as Record<string, unknown>) : {};
      const r = renderVersion(found.version, ref.locale, data);
      if ('problems' in r) {
        problems.push(...r.problems.map((p) => ({ path: `${at}/data`, message: p })));
        continue;
      }
      Object.assign(rest, contentFields(input.channel, r));
    }
    if (problems.length > 0) throw validation(problems);
    return out;
  }
}

/** What a rendered template gives a message of its channel. */
export function contentFields(channel: Channel, r: RenderedContent): Partial<MessageInput> {
  if (channel === 'webhook') return { body: parseBody(r.body ?? '') };
  if (channel === 'sms') return { text: r.text };
  return { subject: r.subject, text: r.text, html: r.html };
}

/** A webhook body template renders text; JSON output is sent as JSON, anything else as a string. */
function parseBody(s: string): unknown {
  try {
    return JSON.parse(s) as unknown;
  } catch {
    return s;
  }
}

/** Renders each field of the chosen locale's variant; every failure is named (`text: the data has no name…`). */
export function renderVersion(
  v: TemplateVersion,
  locale: string | null | undefined,
  data: Record<string, unknown>,
): RenderedContent | { problems: string[] } {
  const chosen = pickLocale(v, locale);
  const variant = v.variants[chosen] ?? {};
  const out: RenderedContent = { locale: chosen };
  const problems: string[] = [];
  for (const f of VARIANT_FIELDS) {
    const src = variant[f];
    if (src === undefined) continue;
    try {
      out[f] = render(f === 'html' ? 'html' : 'text', src, data);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      problems.push(
        err.variable !== undefined
          ? `has no ${err.variable}, which the ${f} uses (${err.where ?? 'somewhere'})`
          : `makes the ${f} fail: ${err.message}`,
      );
    }
  }
  return problems.length > 0 ? { problems } : out;
}

/** Checks locales, fields and Liquid syntax of every variant; answers the default locale. */
function checkVariants(input: TemplateInput, channel: Channel, problems: Problem[]): string {
  const locales = Object.keys(input.variants ?? {});
  if (locales.length === 0)
    problems.push({ path: '/variants', message: 'needs at least one locale, e.g. {"en": {…}}' });
  const fields = CHANNEL_FIELDS[channel];
  for (const locale of locales) {
    const at = `/variants/${locale}`;
    if (!LOCALE_RE.test(locale)) problems.push({ path: at, message: 'is not a locale like en, de-AT or pt_BR' });
    const v = input.variants[locale]!;
    for (const [k, src] of Object.entries(v)) {
      if (!fields.allowed.includes(k)) {
        problems.push({
          path: `${at}/${k}`,
          message: `is not a field of ${channel} templates (they have ${fields.allowed.join(', ')})`,
        });
        continue;
      }
      try {
        checkSyntax(k === 'html' ? 'html' : 'text', String(src));
      } catch (err) {
        problems.push({ path: `${at}/${k}`, message: `is not valid Liquid: ${(err as Error).message}` });
      }
    }
    const missing = fields.check(v);
    if (missing) problems.push({ path: at, message: missing });
  }
  const def = input.defaultLocale ?? locales[0] ?? 'en';
  if (locales.length > 0 && !locales.includes(def))
    problems.push({ path: '/defaultLocale', message: `must be one of the variants' locales (${locales.join(', ')})` });
  return def;
}

/** A contact as template data: its attributes at the top level, and every field under `contact`. */
export function contactData(c: TemplateContact): Record<string, unknown> {
  return {
    ...c.attributes,
    contact: {
      id: c.id,
      phone: c.phone,
      email: c.email,
      operatorCode: c.operatorCode,
      tag: c.tag,
      timezone: c.timezone,
      attributes: c.attributes,
    },
  };
}
