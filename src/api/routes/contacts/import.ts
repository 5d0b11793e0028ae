/*
 * Bulk contact import — input: a CSV (header row) or NDJSON stream; output: counts and the first
 * rejected rows with reasons. Rows are checked one by one and written 1000 at a time (one
 * transaction each), so memory stays flat and a bad row never rejects its neighbours.
 * CSV columns: phone, email, operatorCode (or operator_code, mobile_operator_code), tag,
 * timezone, attributes (a JSON object); any other column becomes an attribute.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { contactFields, type ContactInput } from '../../../campaigns/input.ts';
import type { NewContact } from '../../../campaigns/model.ts';
import { problemSentence } from '../../../errors/validation.ts';
import type { Store } from '../../../store/store.ts';
import { inputProblem } from '../../plugins/input-limits.ts';

export interface ImportReport {
  accepted: number;
  rejected: number;
  errors: { row: number; reason: string }[];
}

const BATCH = 1000;
const MAX_ERRORS = 1000;
const KNOWN: Record<string, keyof ContactInput> = {
  phone: 'phone',
  phone_number: 'phone',
  email: 'email',
  operatorcode: 'operatorCode',
  operator_code: 'operatorCode',
  mobile_operator_code: 'operatorCode',
  tag: 'tag',
  timezone: 'timezone',
};

/** One CSV record → a contact input; unknown columns become attributes. */
export function inputFromCsv(rec: Record<string, string>): ContactInput | string {
  const input: ContactInput = {};
  const attributes: Record<string, unknown> = {};
  for (const [k, raw] of Object.entries(rec)) {
    const v = raw.trim();
    const key = KNOWN[k.trim().toLowerCase()];
    if (k.trim().toLowerCase() === 'attributes') {
      if (!v) continue;
      try {
        const parsed: unknown = JSON.parse(v);
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return 'attributes must be a JSON object';
        Object.assign(attributes, parsed);
      } catch {
        return 'attributes is not valid JSON';
      }
    } else if (key) {
      if (v) (input as Record<string, unknown>)[key] = v;
    } else if (v) attributes[k.trim()] = v;
  }
  if (Object.keys(attributes).length > 0) input.attributes = attributes;
  return input;
}

function inputFromJson(line: string): ContactInput | string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'each line must be a JSON object';
  const o = v as Record<string, unknown>;
  const str = (x: unknown) =>
    typeof x === 'string'
      ? x
      : typeof x === 'number' || typeof x === 'boolean'
        ? String(x)
        : x == null
          ? undefined
          : JSON.stringify(x);
  const attributes = o.attributes;
  if (attributes !== undefined && (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)))
    return 'attributes must be an object';
  return {
    phone: str(o.phone ?? o.phone_number),
    email: str(o.email),
    operatorCode: str(o.operatorCode ?? o.operator_code ?? o.mobile_operator_code),
    tag: str(o.tag),
    timezone: str(o.timezone),
    attributes: attributes as Record<string, unknown> | undefined,
  };
}

/** Reads the stream as CSV or NDJSON and imports every valid row. */
export async function importContacts(
  store: Store,
  body: Readable,
  format: 'csv' | 'ndjson',
  now: () => number,
): Promise<ImportReport> {
  const report: ImportReport = { accepted: 0, rejected: 0, errors: [] };
  const reject = (row: number, reason: string) => {
    report.rejected++;
    if (report.errors.length < MAX_ERRORS) report.errors.push({ row, reason });
  };
  let batch: { row: number; contact: NewContact }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const results = await store.contacts.insertMany(
      batch.map((b) => b.contact),
      now(),
    );
    results.forEach((r, i) => {
      if (r.kind === 'created') report.accepted++;
      else reject(batch[i]!.row, `duplicate phone ${r.phone}`);
    });
    batch = [];
  };
  const take = async (row: number, input: ContactInput | string) => {
    if (typeof input === 'string') return reject(row, input);
    const limit = inputProblem(input);
    if (limit) return reject(row, problemSentence(limit));
    const c = contactFields(input, undefined);
    if (Array.isArray(c)) return reject(row, c.map((p) => `${p.path.slice(1)} ${p.message}`).join('; '));
    batch.push({ row, contact: c });
    if (batch.length >= BATCH) await flush();
  };
  let row = 0;
  if (format === 'csv') {
    const parser = body.pipe(parse({ columns: true, skip_empty_lines: true, relax_column_count: true, bom: true }));
    for await (const rec of parser as AsyncIterable<Record<string, string>>) await take(++row, inputFromCsv(rec));
  } else {
    for await (const line of createInterface({ input: body, crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      await take(++row, inputFromJson(line));
    }
  }
  await flush();
  return report;
}
