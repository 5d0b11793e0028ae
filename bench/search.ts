/**
 * Search at scale (issue 14): N messages and N contacts, then the admin UI's searches through the
 * repositories (the same calls GET /v1/messages and GET /v1/contacts make), on SQLite and
 * PostgreSQL. Each search: the first page (50 rows), median of 5 runs after one warm-up.
 *
 *   node bench/search.ts                          (N = BENCH_SEARCH_ROWS, default 1,000,000)
 *   BENCH_SEARCH_ROWS=100000 BENCH_SEARCH_BACKENDS=sqlite node bench/search.ts
 *
 * Prints a markdown table.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NewContact } from '../src/campaigns/model.ts';
import type { NewMessage } from '../src/domain/message.ts';
import { openStore } from '../src/store/open-store.ts';
import type { Store } from '../src/store/store.ts';
import { PG_URL, createSchema, dropSchema } from './lib/pg.ts';
import { medianMs } from './lib/timing.ts';

const N = Number(process.env.BENCH_SEARCH_ROWS ?? 1_000_000);
const BACKENDS = (process.env.BENCH_SEARCH_BACKENDS ?? 'sqlite,postgres').split(',');
const DOMAINS = 1000;

const email = (i: number) => `user${i}@mail${i % DOMAINS}.example.com`;
const phone = (i: number) => `+7900${String(i).padStart(7, '0')}`;

function message(i: number, now: number): NewMessage {
  const sms = i % 2 === 1;
  return {
    channel: sms ? 'sms' : 'email',
    recipient: sms ? phone(i) : email(i),
    sender: sms ? undefined : 'shop@example.com',
    subject: sms ? undefined : `Order ${i} shipped`,
    text: `Your order ${i} is on its way. Track it in your account.`,
    priority: 0,
    categories: 0,
    lane: sms ? 'sms' : 'email',
    dueAt: now,
    maxAttempts: 5,
    state: 'delivered',
  };
}

function contact(i: number): NewContact {
  return {
    phone: `7901${String(i).padStart(7, '0')}`,
    email: i % 3 === 0 ? `person${i}@corp${i % DOMAINS}.example.org` : null,
    operatorCode: '901',
    tag: i % 10 === 0 ? 'vip' : 'regular',
    timezone: 'Europe/Moscow',
    attributes: { name: `Name${i}`, city: `City${i % 5000}` },
  };
}

async function fill(store: Store): Promise<number> {
  const t = performance.now();
  const now = Date.now() - N;
  for (let i = 0; i < N; i += 1000) {
    const n = Math.min(1000, N - i);
    await store.messages.insertMany(
      Array.from({ length: n }, (_, k) => message(i + k, now + i + k)),
      now + i,
    );
    await store.contacts.insertMany(
      Array.from({ length: n }, (_, k) => contact(i + k)),
      now + i,
    );
  }
  return performance.now() - t;
}

async function run(backend: string): Promise<Record<string, number>> {
  let schema: string | undefined;
  const url = backend === 'sqlite' ? `sqlite:${join(mkdtempSync(join(tmpdir(), 'herald-search-')), 'b.db')}` : PG_URL;
  if (backend === 'postgres') schema = await createSchema('search');
  const store = await openStore({ url, schema });
  try {
    await store.migrate();
    const fillMs = await fill(store);
    const mid = Math.floor(N / 2);
    const out: Record<string, number> = { [`fill (${N} messages + ${N} contacts), s`]: fillMs / 1000 };
    const cases: [string, () => Promise<unknown>][] = [
      ['messages: recipientPrefix, one match', () => store.messages.list({ recipientPrefix: email(mid) }, 50)],
      ['messages: recipientPrefix "user12" (many)', () => store.messages.list({ recipientPrefix: 'user12' }, 50)],
      [
        'messages: recipientPrefix phone "+790000012"',
        () => store.messages.list({ recipientPrefix: '+790000012' }, 50),
      ],
      ['messages: recipientContains one address', () => store.messages.list({ recipientContains: `user${mid}@` }, 50)],
      [
        'messages: recipientContains "mail7.example" (0.1 %)',
        () => store.messages.list({ recipientContains: 'mail7.example' }, 50),
      ],
      ['messages: recipientContains, no match', () => store.messages.list({ recipientContains: 'nobody-here' }, 50)],
      ['contacts: q phone digits', () => store.contacts.list({ search: `7901${String(mid).padStart(7, '0')}` }, 50)],
      ['contacts: q attribute value "city4242"', () => store.contacts.list({ search: 'City4242' }, 50)],
      ['contacts: q, no match', () => store.contacts.list({ search: 'nobody-here' }, 50)],
      ['contacts: count q "city4242"', () => store.contacts.count({ search: 'City4242' })],
    ];
    for (const [name, fn] of cases) out[name] = await medianMs(fn);
    return out;
  } finally {
    await store.close();
    if (schema && !process.env.BENCH_KEEP) await dropSchema(schema);
    else if (schema) console.error(`kept schema ${schema}`);
  }
}

const results: Record<string, Record<string, number>> = {};
for (const b of BACKENDS) results[b] = await run(b);
const names = Object.keys(results[BACKENDS[0]!]!);
console.log(`| search (first page of 50; ms, median of 5) | ${BACKENDS.join(' | ')} |`);
console.log(`|---|${BACKENDS.map(() => '---:').join('|')}|`);
for (const n of names)
  console.log(
    `| ${n} | ${BACKENDS.map((b) => (results[b]![n]! < 10 ? results[b]![n]!.toFixed(1) : Math.round(results[b]![n]!))).join(' | ')} |`,
  );
