import { createHash } from 'node:crypto';
import type { Channel, EmailExtras, HttpMethod, NewMessage, WebhookPayload } from './message.ts';
import { renderPostbackUrl } from '../providers/webhook/template.ts';
import { routedLane, webhookLane } from './lanes.ts';
import { carriesReservedBit } from './categories.ts';
import { countSegments } from '../providers/sms/segments.ts';
import { headerProblem } from '../providers/email/headers.ts';

/** A message as a client describes it (the native API's `POST /v1/messages` body). */
export interface MessageInput {
  channel: Channel;
  to?: string | undefined;
  from?: string | undefined;
  subject?: string | undefined;
  text?: string | undefined;
  html?: string | undefined;
  /** E-mail: display names and Reply-To. */
  fromName?: string | undefined;
  toName?: string | undefined;
  replyTo?: string | undefined;
  method?: HttpMethod | undefined;
  url?: string | undefined;
  headers?: Record<string, string> | undefined;
  body?: unknown;
  secret?: string | undefined;
  priority?: number | undefined;
  sendAt?: string | undefined;
  notAfter?: string | undefined;
  categories?: number | undefined;
  uniqueId?: string | undefined;
  provider?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  maxAttempts?: number | undefined;
  /** A one-off status callback (docs/events.md#callbacks) and the event types it wants (default all). */
  callbackUrl?: string | undefined;
  callbackEvents?: readonly string[] | undefined;
}

export interface ComposeContext {
  now: number;
  /** Attempt budget when the message sets none: the provider's (or the channel route's first provider's) `maxAttempts`, else the global one. */
  maxAttemptsFor(channel: Channel, provider?: string): number;
  postbackDefaultValue: string;
  /** The channel of each configured provider, by name. */
  providerChannel(name: string): Channel | undefined;
  /** Longest SMS in parts (HERALD_SMS_MAX_SEGMENTS). */
  smsMaxSegments: number;
}

export interface Problem {
  path: string;
  message: string;
}

const EMAIL_RE = /^[^\s@<>]+@[^\s@<>]+$/;
const PHONE_RE = /^\+?[0-9]{6,15}$/;

/** Checks a client's message and turns it into what the pipeline stores, or lists every problem. */
export function composeMessage(input: MessageInput, ctx: ComposeContext, at = ''): NewMessage | Problem[] {
  const problems: Problem[] = [];
  const bad = (field: string, message: string) => problems.push({ path: `${at}/${field}`, message });
  const dueAt = parseTime(input.sendAt, 'sendAt', bad) ?? ctx.now;
  const notAfter = parseTime(input.notAfter, 'notAfter', bad);
  if (notAfter !== undefined && notAfter < dueAt) bad('notAfter', 'must not be before sendAt');
  if (input.categories !== undefined && carriesReservedBit(input.categories))
    bad('categories', 'bit 1 is reserved and must never be set on a message');
  if (input.provider !== undefined && input.channel === 'webhook') {
    bad('provider', 'webhooks are delivered by Herald itself; omit provider');
  } else if (input.provider !== undefined) {
    const ch = ctx.providerChannel(input.provider);
    if (!ch) bad('provider', `no provider named "${input.provider}" is configured`);
    else if (ch !== input.channel) bad('provider', `provider "${input.provider}" is for ${ch}, not ${input.channel}`);
  }
  // One object, completed per channel below (no spread copy per message: this runs on every ingest).
  const msg: NewMessage = {
    channel: input.channel,
    priority: input.priority ?? 0,
    categories: input.categories ?? 0,
    uniqueId: input.uniqueId,
    provider: input.provider,
    metadata: input.metadata,
    dueAt,
    notAfter,
    maxAttempts: input.maxAttempts ?? ctx.maxAttemptsFor(input.channel, input.provider),
    callback: callbackOf(input, bad),
    recipient: '',
    lane: '',
  };
  switch (input.channel) {
    case 'email': {
      if (!input.to) bad('to', 'is required');
      else if (!EMAIL_RE.test(input.to)) bad('to', 'must be an e-mail address');
      if (!input.from) bad('from', 'is required');
      else if (!EMAIL_RE.test(input.from)) bad('from', 'must be an e-mail address');
      if (!input.subject) bad('subject', 'is required for e-mail');
      if (!input.text && !input.html) bad('text', 'e-mail needs text or html');
      msg.recipient = input.to ?? '';
      msg.sender = input.from;
      msg.subject = input.subject;
      msg.text = input.text;
      msg.html = input.html;
      msg.email = emailExtras(input, bad);
      msg.lane = routedLane('email', input.provider);
      break;
    }
    case 'sms': {
      const to = input.to?.replace(/[\s()-]/g, '');
      if (!to) bad('to', 'is required');
      else if (!PHONE_RE.test(to)) bad('to', 'must be a phone number: digits, optionally with a leading +');
      if (!input.text) bad('text', 'is required for SMS');
      const parts = countSegments(input.text ?? '');
      if (parts.segments > ctx.smsMaxSegments)
        bad(
          'text',
          `is ${parts.segments} SMS segments (${parts.encoding}, ${parts.units} units); ` +
            `the limit is ${ctx.smsMaxSegments} (HERALD_SMS_MAX_SEGMENTS)`,
        );
      msg.recipient = to ?? '';
      msg.sender = input.from;
      msg.text = input.text;
      msg.segments = parts.segments;
      msg.lane = routedLane('sms', input.provider);
      break;
    }
    case 'webhook': {
      // Only the keys the request set (the payload is stored as JSON and compared in tests).
      const payload: WebhookPayload = { method: input.method ?? 'POST', url: input.url ?? '' };
      if (input.headers !== undefined) payload.headers = input.headers;
      if (input.body !== undefined) payload.body = input.body;
      if (input.secret !== undefined) payload.secret = input.secret;
      msg.provider = undefined;
      msg.recipient = input.url ?? '';
      msg.payload = payload;
      msg.lane = checkedLane(input.url, 'url', bad) ?? 'webhook:';
      break;
    }
    default:
      return problems;
  }
  return problems.length > 0 ? problems : msg;
}

/** Seed 004: one webhook message per `data` object; the URL is a `{name}` template. */
export function composePostbacks(
  endpoint: { method: HttpMethod; url: string },
  data: Record<string, unknown>[],
  ctx: ComposeContext,
): NewMessage[] | Problem[] {
  const problems: Problem[] = [];
  const out: NewMessage[] = [];
  data.forEach((obj, i) => {
    const rendered = renderPostbackUrl(endpoint.url, obj, ctx.postbackDefaultValue);
    const lane = checkedLane(rendered, `data/${i}`, (path, message) =>
      problems.push({ path: `/${path}`, message: `endpoint.url ${message}` }),
    );
    if (lane === undefined) return;
    out.push({
      channel: 'webhook',
      recipient: rendered,
      payload: { method: endpoint.method, url: endpoint.url, postback: obj },
      priority: 0,
      categories: 0,
      lane,
      dueAt: ctx.now,
      maxAttempts: ctx.maxAttemptsFor('webhook'),
    });
  });
  return problems.length > 0 ? problems : out;
}

/** Display names, Reply-To and allow-listed headers of an e-mail; undefined when there are none. */
function emailExtras(input: MessageInput, bad: (f: string, m: string) => void): EmailExtras | undefined {
  const extras: EmailExtras = {};
  for (const key of ['fromName', 'toName'] as const) {
    const v = input[key];
    if (v === undefined) continue;
    if (/[\r\n]/.test(v)) bad(key, 'must not contain line breaks');
    else extras[key] = v;
  }
  if (input.replyTo !== undefined) {
    if (!EMAIL_RE.test(input.replyTo)) bad('replyTo', 'must be an e-mail address');
    else extras.replyTo = input.replyTo;
  }
  if (input.headers) {
    for (const [name, value] of Object.entries(input.headers)) {
      const problem = headerProblem(name, value);
      if (problem) bad(`headers/${name}`, problem);
    }
    if (Object.keys(input.headers).length > 0) extras.headers = input.headers;
  }
  return Object.keys(extras).length > 0 ? extras : undefined;
}

/**
 * Webhook URLs already accepted, with their lane: most messages go to a few URLs, and parsing one
 * (WHATWG URL, then its origin) is a few hundred bytes and ~1 µs per ingested message. Only valid
 * URLs are kept, so a refused one is checked (and reported) each time. Bounded: emptied when full,
 * and a URL longer than LANE_CACHE_URL_MAX (a postback's, filled from its data) is never kept.
 */
const laneOfUrl = new Map<string, string>();
const LANE_CACHE_MAX = 1024;
const LANE_CACHE_URL_MAX = 2048;

/** The lane of a valid webhook URL (`webhook:<origin>`), or undefined after reporting its problem. */
function checkedLane(raw: string | undefined, field: string, bad: (f: string, m: string) => void): string | undefined {
  if (raw !== undefined) {
    const hit = laneOfUrl.get(raw);
    if (hit !== undefined) return hit;
  }
  const url = checkUrl(raw, field, bad);
  if (!url) return undefined;
  const lane = webhookLane(url);
  if (raw!.length > LANE_CACHE_URL_MAX) return lane;
  if (laneOfUrl.size >= LANE_CACHE_MAX) laneOfUrl.clear();
  laneOfUrl.set(raw!, lane);
  return lane;
}

function checkUrl(raw: string | undefined, field: string, bad: (f: string, m: string) => void): URL | undefined {
  if (!raw) return void bad(field, 'is required');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return void bad(field, `is not a valid URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return void bad(field, 'must be an http or https URL');
  if (url.username || url.password) return void bad(field, 'must not carry credentials; use headers');
  return url;
}

function parseTime(raw: string | undefined, field: string, bad: (f: string, m: string) => void): number | undefined {
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) bad(field, 'must be an ISO 8601 date-time');
  return Number.isNaN(ms) ? undefined : ms;
}

/** A stable hash of a request body, to tell an idempotent repeat from a conflicting reuse of the key. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('base64url');
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** The message's callback, when it asks for one: an http(s) URL; `callbackEvents` needs a `callbackUrl`. */
function callbackOf(input: MessageInput, bad: (field: string, message: string) => void): NewMessage['callback'] {
  if (input.callbackUrl === undefined) {
    if (input.callbackEvents !== undefined) bad('callbackEvents', 'needs a callbackUrl');
    return undefined;
  }
  let url: URL | undefined;
  try {
    url = new URL(input.callbackUrl);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    bad('callbackUrl', 'must be an http or https URL');
    return undefined;
  }
  return { url: input.callbackUrl, events: input.callbackEvents };
}
