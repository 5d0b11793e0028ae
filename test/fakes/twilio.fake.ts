import { createHmac, randomBytes } from 'node:crypto';
import { request } from 'undici';
import {
  json,
  quote,
  startFakeServer,
  type FakeLog,
  type FakeMode,
  type FakeRequest,
  type ModeOptions,
} from './fake-server.ts';

/**
 * A fake of Twilio Programmable Messaging (docs/providers/twilio.md):
 * `POST /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded, basic auth `sid:token`;
 * 201 with a message resource; Twilio's error JSON `{code, message, more_info, status}`.
 * Twilio's magic test numbers fail as they do with test credentials:
 *   +15005550001 → 21211 (invalid To), +15005550002 → 21612 (cannot route),
 *   +15005550003 → 21408 (no permission for the region), +15005550004 → 21610 (recipient opted out),
 *   +15005550009 → 21614 (not a mobile number).
 * Status callbacks (form posts signed with X-Twilio-Signature) go to each message's
 * StatusCallback: `sent`, then `delivered`, or `undelivered` with ErrorCode 30003 for numbers
 * ending in 0000. They wait in `pending` until `flushCallbacks()`, or go `autoCallbacksMs` after
 * each message when set.
 *
 *   const fake = await startTwilioFake({ accountSid: 'AC…', authToken: 't', autoCallbacksMs: 20 });
 *   fake.url   // the baseUrl to configure
 */
export interface TwilioFakeOptions {
  accountSid?: string;
  authToken?: string;
  autoCallbacksMs?: number;
  port?: number;
  log?: FakeLog;
}

export interface TwilioSent {
  sid: string;
  params: Record<string, string>;
}

const MAGIC: Record<string, [number, string]> = {
  '+15005550001': [21211, "The 'To' number +15005550001 is not a valid phone number."],
  '+15005550002': [21612, "The 'To' phone number is not currently reachable via SMS."],
  '+15005550003': [21408, 'Permission to send an SMS has not been enabled for the region indicated by the To number'],
  '+15005550004': [21610, 'Attempt to send to unsubscribed recipient'],
  '+15005550009': [21614, "'To' number is not a valid mobile number"],
};

function twilioError(res: Parameters<typeof json>[0], status: number, code: number, message: string) {
  json(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status });
}

export async function startTwilioFake(opts: TwilioFakeOptions = {}) {
  const accountSid = opts.accountSid ?? 'AC00000000000000000000000000000000';
  const authToken = opts.authToken ?? 'twilio-test-token';
  const sent: TwilioSent[] = [];
  const pending: { url: string; params: Record<string, string> }[] = [];
  const callbacks: { url: string; status: number; params: Record<string, string> }[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = await startFakeServer((req, res) => {
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.path);
    if (!m || req.method !== 'POST') return twilioError(res, 404, 20404, 'The requested resource was not found');
    if (!authorized(req, m[1]!)) return twilioError(res, 401, 20003, 'Authenticate');
    const p = Object.fromEntries(new URLSearchParams(req.body));
    if (!p.To) return twilioError(res, 400, 21604, "A 'To' phone number is required.");
    if (!p.Body) return twilioError(res, 400, 21602, 'Message body is required.');
    if (!p.From && !p.MessagingServiceSid) return twilioError(res, 400, 21603, "A 'From' phone number is required.");
    const magic = MAGIC[p.To];
    if (magic) return twilioError(res, 400, magic[0], magic[1]);
    if (!/^\+[1-9]\d{6,14}$/.test(p.To))
      return twilioError(res, 400, 21211, `The 'To' number ${p.To} is not a valid phone number.`);
    const sid = 'SM' + randomBytes(16).toString('hex');
    sent.push({ sid, params: p });
    opts.log?.(`SMS to ${p.To} from ${p.From ?? p.MessagingServiceSid}: ${quote(p.Body)}`);
    if (p.StatusCallback) queueCallbacks(sid, p);
    return json(res, 201, resource(sid, p));
  }, opts.port);

  function authorized(req: FakeRequest, pathSid: string): boolean {
    const h = req.headers.authorization ?? '';
    if (!h.startsWith('Basic ')) return false;
    const [user, pass] = Buffer.from(h.slice(6), 'base64').toString('utf8').split(':');
    return user === accountSid && pass === authToken && pathSid === accountSid;
  }

  function resource(sid: string, p: Record<string, string>) {
    return {
      sid,
      account_sid: accountSid,
      to: p.To,
      from: p.From ?? null,
      messaging_service_sid: p.MessagingServiceSid ?? null,
      body: p.Body,
      status: p.MessagingServiceSid ? 'accepted' : 'queued',
      num_segments: '1',
      direction: 'outbound-api',
      api_version: '2010-04-01',
      error_code: null,
      error_message: null,
      date_created: new Date().toUTCString(),
      uri: `/2010-04-01/Accounts/${accountSid}/Messages/${sid}.json`,
    };
  }

  function queueCallbacks(sid: string, p: Record<string, string>) {
    const base = {
      AccountSid: accountSid,
      ApiVersion: '2010-04-01',
      MessageSid: sid,
      SmsSid: sid,
      To: p.To!,
      From: p.From ?? '+15005550006',
    };
    const failed = p.To!.endsWith('0000');
    pending.push({ url: p.StatusCallback!, params: { ...base, MessageStatus: 'sent', SmsStatus: 'sent' } });
    pending.push({
      url: p.StatusCallback!,
      params: failed
        ? { ...base, MessageStatus: 'undelivered', SmsStatus: 'undelivered', ErrorCode: '30003' }
        : { ...base, MessageStatus: 'delivered', SmsStatus: 'delivered' },
    });
    if (opts.autoCallbacksMs !== undefined) {
      const t = setTimeout(() => {
        timers.delete(t);
        void flushCallbacks().catch(() => {});
      }, opts.autoCallbacksMs);
      timers.add(t);
    }
  }

  /** Signs as Twilio does: base64 HMAC-SHA1 over the URL and the sorted parameters' names and values. */
  function sign(url: string, params: Record<string, string>, token = authToken): string {
    const data =
      url +
      Object.keys(params)
        .sort()
        .map((k) => k + params[k])
        .join('');
    return createHmac('sha1', token).update(data).digest('base64');
  }

  /** Posts one status callback; answers the HTTP status. */
  async function postCallback(url: string, params: Record<string, string>, token = authToken): Promise<number> {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sign(url, params, token) },
      body: new URLSearchParams(params).toString(),
    });
    await res.body.text();
    callbacks.push({ url, status: res.statusCode, params });
    return res.statusCode;
  }

  /** Posts pending callbacks in order; unacknowledged ones stay pending. */
  async function flushCallbacks(): Promise<number[]> {
    const taken = pending.splice(0, pending.length);
    const statuses: number[] = [];
    for (const c of taken) {
      const status = await postCallback(c.url, c.params).catch(() => 0);
      statuses.push(status);
      if (status < 200 || status >= 300) pending.push(c);
    }
    return statuses;
  }

  return {
    url: server.url,
    port: server.port,
    accountSid,
    authToken,
    requests: server.requests,
    sent,
    pending,
    callbacks,
    sign,
    postCallback,
    flushCallbacks,
    setMode: (mode: FakeMode, o?: ModeOptions) => server.setMode(mode, o),
    close: async () => {
      for (const t of timers) clearTimeout(t);
      await server.close();
    },
  };
}

export type TwilioFake = Awaited<ReturnType<typeof startTwilioFake>>;
