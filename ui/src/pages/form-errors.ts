import { ApiError } from '../api.ts';

/**
 * A field's problems as they read beside it: "is required …" → "Required …", "is too long …" →
 * "Too long …", "must be …" → "Must be …".
 */
export function plain(message: string): string {
  const m = message.trim().replace(/^is (required|not|too)\b/, '$1');
  return m.charAt(0).toUpperCase() + m.slice(1);
}

export interface Problem {
  path: string;
  message: string;
}

/** The API's validation problems (HERALD_VALIDATION details: `{path, message}`), or none. */
export function problemsOf(e: unknown): Problem[] {
  if (!(e instanceof ApiError) || e.code !== 'HERALD_VALIDATION' || !Array.isArray(e.details)) return [];
  return (e.details as Partial<Problem>[]).map((d) => ({ path: d.path ?? '', message: d.message ?? 'is not valid' }));
}

/**
 * Field errors from the API's validation details (paths like /endAt, /window/from → endAt, window),
 * every problem of a field joined, in plain words.
 */
export function fieldErrors(e: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of problemsOf(e)) {
    const key = d.path.replace(/^\//, '').split('/')[0] || 'form';
    const text = plain(d.message);
    out[key] = out[key] ? `${out[key]} ${text}` : text;
  }
  for (const k of Object.keys(out)) if (!/[.!?)]$/.test(out[k]!)) out[k] = `${out[k]}.`;
  return out;
}

/**
 * Each field's problem from an API error's details as the API words it (the last one of a field
 * wins), for forms that show fixed text beside a field or the API's words as they are.
 */
export function detailErrors(e: unknown): Record<string, string> {
  const errs: Record<string, string> = {};
  if (e instanceof ApiError && Array.isArray(e.details))
    for (const x of e.details as { path?: string; message?: string }[])
      errs[(x.path ?? '').replace(/^\//, '').split('/')[0] ?? ''] = x.message ?? 'is invalid';
  return errs;
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;
const PHONE = /^\+?[1-9][0-9]{6,14}$/;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Checks a contact form as the API would, every problem at once (the API checks its JSON shape first). */
export function contactProblems(d: {
  phone: string;
  email: string;
  tag: string;
  timezone: string;
  operatorCode: string;
  attributes: string;
}): Record<string, string> {
  const out: Record<string, string> = {};
  const phone = d.phone.replace(/[\s()-]/g, '');
  if (!phone && !d.email.trim()) out.phone = 'Required when there is no e-mail (a contact needs one or the other).';
  else if (phone && !PHONE.test(phone)) out.phone = 'Must be 7XXXXXXXXXX or E.164: + and 7 to 15 digits.';
  if (d.email.trim() && !EMAIL.test(d.email.trim())) out.email = 'Must be an e-mail address, like ada@example.com.';
  if (d.timezone.trim() && !isTimeZone(d.timezone.trim()))
    out.timezone = `Must be an IANA time zone such as Europe/Moscow (got "${d.timezone.trim()}").`;
  if (d.operatorCode.trim() && !/^\d{1,6}$/.test(d.operatorCode.trim())) out.operatorCode = 'Must be 1 to 6 digits.';
  if (d.tag.length > 100) out.tag = `Must be at most 100 characters (got ${d.tag.length}).`;
  try {
    const a: unknown = JSON.parse(d.attributes || '{}');
    if (typeof a !== 'object' || a === null || Array.isArray(a))
      out.attributes = 'Must be a JSON object, like {"name": "Ada"}.';
  } catch (e) {
    out.attributes = `Must be a JSON object: ${e instanceof Error ? e.message : 'not valid JSON'}.`;
  }
  return out;
}

/** Checks a campaign form as the API would, every problem at once. */
export function campaignProblems(
  d: {
    channel: 'sms' | 'email';
    from: string;
    subject: string;
    text: string;
    html: string;
    templateId: string;
    categories: string;
    startAt: string;
    endAt: string;
    priority: string;
  },
  opts: { editing: boolean; now?: number },
): Record<string, string> {
  const out: Record<string, string> = {};
  const now = opts.now ?? Date.now();
  if (!d.templateId && !d.text.trim() && !(d.channel === 'email' && d.html.trim()))
    out.text = d.channel === 'email' ? 'Required (or an HTML body, or a template).' : 'Required (or a template).';
  if (d.channel === 'email') {
    if (!d.from.trim()) out.from = 'Required for an e-mail campaign: an e-mail address.';
    else if (!EMAIL.test(d.from.trim())) out.from = 'Must be an e-mail address, like news@example.com.';
    if (!d.templateId && !d.subject.trim()) out.subject = 'Required for an e-mail campaign (or choose a template).';
  }
  const start = d.startAt ? new Date(d.startAt).getTime() : NaN;
  const end = d.endAt ? new Date(d.endAt).getTime() : NaN;
  if (Number.isNaN(start)) out.startAt = 'Required: a date and time.';
  if (Number.isNaN(end)) out.endAt = 'Required: a date and time.';
  else if (!Number.isNaN(start) && end <= start) out.endAt = 'Must be after the start.';
  else if (!opts.editing && end <= now) out.endAt = 'Is already past: the campaign would send nothing.';
  const cat = Number(d.categories || '0');
  if (!Number.isSafeInteger(cat) || cat < 0) out.categories = 'Must be a whole number, 0 or more.';
  else if (cat % 2 === 1) out.categories = 'Bit 1 is reserved: use even flags (2, 4, 8, …).';
  const pr = Number(d.priority || '0');
  if (!Number.isInteger(pr) || pr < 0 || pr > 9) out.priority = 'Must be a whole number from 0 to 9.';
  return out;
}
