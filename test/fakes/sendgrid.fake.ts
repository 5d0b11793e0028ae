import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { request } from 'undici';
import { bearer, json, startFakeServer, type FakeLog, type FakeMode, type ModeOptions } from './fake-server.ts';

/**
 * A fake of SendGrid v3 Mail Send and its Signed Event Webhook (docs/providers/sendgrid.md):
 * `POST /v3/mail/send` with a Bearer key; checks what SendGrid checks (1–1000 personalizations,
 * valid addresses, from, subject, content with text/plain first) and answers its error JSON
 * `{"errors":[{"message","field","help"}]}` with the field path (`personalizations.3.to.0.email`);
 * success is `202` with an `X-Message-Id`.
 *
 * Events: for each personalization, `processed` then `delivered` (or `bounce` for addresses that
 * start with `bounce`, `dropped` for `drop`), carrying the personalization's custom_args and
 * `sg_message_id` = X-Message-Id + "." + suffix. They are POSTed as one JSON array to `eventsUrl`,
 * signed with the fake's own P-256 key (`publicKey` is what to configure as webhookPublicKey), on
 * `flushEvents()` or `autoEventsMs` after each send.
 *
 *   const fake = await startSendgridFake({ apiKey: 'SG.x', eventsUrl, autoEventsMs: 20 });
 */
export interface SendgridFakeOptions {
  apiKey?: string;
  eventsUrl?: string;
  autoEventsMs?: number;
  port?: number;
  log?: FakeLog;
}

export interface SendgridMail {
  messageId: string;
  body: MailBody;
}

interface MailBody {
  personalizations?: {
    to?: { email?: string; name?: string }[];
    subject?: string;
    custom_args?: Record<string, string>;
  }[];
  from?: { email?: string; name?: string };
  subject?: string;
  content?: { type?: string; value?: string }[];
}

type SgError = { message: string; field: string | null; help: string | null };
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

/** What SendGrid would refuse in this body; empty when it is acceptable. */
function check(b: MailBody): SgError[] {
  const errs: SgError[] = [];
  const err = (field: string | null, message: string) => errs.push({ message, field, help: null });
  const ps = b.personalizations;
  if (!Array.isArray(ps) || ps.length === 0)
    err('personalizations', 'The personalizations field is required and must have at least one personalization.');
  else if (ps.length > 1000)
    err('personalizations', 'You may not have more than 1000 personalizations per API request.');
  else
    ps.forEach((p, i) => {
      if (!Array.isArray(p.to) || p.to.length === 0)
        return err(`personalizations.${i}.to`, 'The to array is required for all personalization objects.');
      p.to.forEach((t, j) => {
        if (!EMAIL.test(t.email ?? '')) err(`personalizations.${i}.to.${j}.email`, 'Does not contain a valid address.');
      });
      if (!b.subject && !p.subject) err(`personalizations.${i}.subject`, 'The subject is required.');
    });
  if (!EMAIL.test(b.from?.email ?? '')) err('from.email', 'The from email does not contain a valid address.');
  const c = b.content;
  if (!Array.isArray(c) || c.length === 0 || c.some((x) => !x.value))
    err('content', 'Unless a valid template_id is provided, the content parameter is required.');
  else if (c.length > 1 && c[0]!.type !== 'text/plain')
    err('content', 'If present, text/plain must be first, followed by text/html.');
  return errs;
}

export async function startSendgridFake(opts: SendgridFakeOptions = {}) {
  const apiKey = opts.apiKey ?? 'SG.test-key';
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKey = keys.publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const mails: SendgridMail[] = [];
  const pendingEvents: Record<string, unknown>[] = [];
  const posts: { status: number; count: number }[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = await startFakeServer((req, res) => {
    if (req.method !== 'POST' || req.path !== '/v3/mail/send')
      return json(res, 404, { errors: [{ message: 'not found', field: null, help: null }] });
    if (bearer(req) !== apiKey)
      return json(res, 401, {
        errors: [
          { message: 'The provided authorization grant is invalid, expired, or revoked', field: null, help: null },
        ],
      });
    let body: MailBody;
    try {
      body = JSON.parse(req.body) as MailBody;
    } catch {
      return json(res, 400, { errors: [{ message: 'Bad Request', field: null, help: null }] });
    }
    const errors = check(body);
    if (errors.length > 0) return json(res, 400, { errors });
    const messageId = randomBytes(16).toString('base64url').slice(0, 22);
    mails.push({ messageId, body });
    for (const p of body.personalizations ?? [])
      opts.log?.(
        `mail from ${body.from?.email} to ${p.to?.map((t) => t.email).join(', ')}: ${JSON.stringify(p.subject ?? body.subject ?? '')}`,
      );
    queueEvents(messageId, body);
    res.writeHead(202, { 'x-message-id': messageId });
    res.end();
  }, opts.port);

  function queueEvents(messageId: string, body: MailBody) {
    if (!opts.eventsUrl) return;
    const ts = Math.floor(Date.now() / 1000);
    body.personalizations!.forEach((p, i) => {
      const email = p.to![0]!.email!;
      const base = {
        email,
        timestamp: ts,
        'smtp-id': `<${messageId}@fake.sendgrid.net>`,
        sg_message_id: `${messageId}.filterdrecv-fake-${i}-0`,
        ...p.custom_args,
      };
      pendingEvents.push({ ...base, event: 'processed', sg_event_id: randomBytes(8).toString('hex') });
      const last = email.startsWith('bounce')
        ? { event: 'bounce', type: 'bounce', status: '5.1.1', reason: '550 5.1.1 No such user' }
        : email.startsWith('drop')
          ? { event: 'dropped', reason: 'Bounced Address' }
          : { event: 'delivered', response: '250 OK' };
      pendingEvents.push({ ...base, ...last, sg_event_id: randomBytes(8).toString('hex') });
    });
    if (opts.autoEventsMs !== undefined) {
      const t = setTimeout(() => {
        timers.delete(t);
        void flushEvents().catch(() => {});
      }, opts.autoEventsMs);
      timers.add(t);
    }
  }

  /** Posts events as SendGrid does: one JSON array, signed over timestamp + body. */
  async function postEvents(url: string, events: unknown[], key: KeyObject = keys.privateKey): Promise<number> {
    const raw = JSON.stringify(events);
    const ts = String(Math.floor(Date.now() / 1000));
    const signature = sign('sha256', Buffer.from(ts + raw), { key, dsaEncoding: 'der' }).toString('base64');
    const res = await request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-twilio-email-event-webhook-signature': signature,
        'x-twilio-email-event-webhook-timestamp': ts,
      },
      body: raw,
    });
    await res.body.text();
    posts.push({ status: res.statusCode, count: events.length });
    return res.statusCode;
  }

  /** Posts all pending events to `eventsUrl`; kept for later when not acknowledged. */
  async function flushEvents(): Promise<number | undefined> {
    if (!opts.eventsUrl || pendingEvents.length === 0) return undefined;
    const taken = pendingEvents.splice(0, pendingEvents.length);
    const status = await postEvents(opts.eventsUrl, taken).catch(() => 0);
    if (status < 200 || status >= 300) pendingEvents.push(...taken);
    return status;
  }

  return {
    url: server.url,
    port: server.port,
    apiKey,
    /** The webhookPublicKey to configure (base64 SPKI DER). */
    publicKey,
    requests: server.requests,
    mails,
    pendingEvents,
    posts,
    postEvents,
    flushEvents,
    setMode: (mode: FakeMode, o?: ModeOptions) => server.setMode(mode, o),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      await server.close();
    },
  };
}

export type SendgridFake = Awaited<ReturnType<typeof startSendgridFake>>;
