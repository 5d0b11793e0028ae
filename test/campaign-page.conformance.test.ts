import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKENDS, freshStore } from './helpers/stores.ts';
import type { NewMessage } from '../src/domain/message.ts';
import type { CampaignPageRow, CampaignPageShared, Store } from '../src/store/store.ts';
import { databaseForTests } from '../src/store/open-store.ts';

/**
 * insertCampaignPage (decision 0031) against insertMany, on both stores: the same messages written
 * both ways give the same rows in every column but the id, and the same event rows. The expected
 * messages are spelled out here, not taken from the store's own expansion.
 */

const NOW = 1_767_000_000_000;

/** The messages insertMany would be given for the page: every shared value on every row. */
function expanded(s: CampaignPageShared, rows: readonly CampaignPageRow[]): NewMessage[] {
  return rows.map((r) => {
    const c = s.content ?? r.content;
    const m: NewMessage = {
      channel: s.channel,
      recipient: r.recipient,
      priority: s.priority,
      categories: s.categories,
      lane: s.lane,
      dueAt: r.dueAt,
      maxAttempts: s.maxAttempts,
      campaignId: s.campaignId,
      contactId: r.contactId,
      state: r.state,
    };
    if (s.sender !== null) m.sender = s.sender;
    if (s.provider !== null) m.provider = s.provider;
    if (s.notAfter !== null) m.notAfter = s.notAfter;
    if (r.reason !== null) m.reason = r.reason;
    if (c?.subject != null) m.subject = c.subject;
    if (c?.text != null) m.text = c.text;
    if (c?.html != null) m.html = c.html;
    if (c?.segments != null) m.segments = c.segments;
    return m;
  });
}

/** Every column of the campaign's messages but the id, oldest first. */
async function messageRows(store: Store, campaignId: string) {
  const rows = await databaseForTests(store)
    .selectFrom('messages')
    .selectAll()
    .where('campaign_id', '=', campaignId)
    .orderBy('id')
    .execute();
  return rows.map(({ id: _id, ...rest }) => ({
    ...rest,
    // The drivers give numbers or strings for bigints; compare the values.
    due_at: Number(rest.due_at),
    not_after: rest.not_after == null ? null : Number(rest.not_after),
    categories: Number(rest.categories),
    created_at: Number(rest.created_at),
    updated_at: Number(rest.updated_at),
  }));
}

/** The event rows of the campaign's messages, in the order written, by the message's position. */
async function eventRows(store: Store, campaignId: string) {
  const db = databaseForTests(store);
  const ids = (
    await db.selectFrom('messages').select('id').where('campaign_id', '=', campaignId).orderBy('id').execute()
  ).map((r) => r.id);
  const events = await db
    .selectFrom('events')
    .select(['message_id', 'at', 'type', 'from_state', 'to_state', 'source', 'detail'])
    .where('message_id', 'in', ids)
    .orderBy('id')
    .execute();
  // Every column but the id, and PostgreSQL's txid (the writing transaction: it differs by design).
  return events.map(({ message_id, ...rest }) => ({ ...rest, at: Number(rest.at), n: ids.indexOf(message_id) }));
}

function rowsOf(n: number, own: boolean): CampaignPageRow[] {
  return Array.from({ length: n }, (_, i) => {
    const state = i % 7 === 3 ? 'failed' : i % 5 === 4 ? 'expired' : 'queued';
    return {
      recipient: `7900${String(i).padStart(7, '0')}`,
      contactId: `contact-${i}`,
      dueAt: NOW + i * 60_000,
      state,
      reason: state === 'failed' ? `too long ${i}` : state === 'expired' ? 'window after the end' : null,
      content: own
        ? { subject: i % 3 === 0 ? null : `Hi ${i}`, text: `Hello N${i} ‘quoted’`, html: null, segments: 1 + (i % 2) }
        : null,
    };
  });
}

const SMS: CampaignPageShared = {
  channel: 'sms',
  provider: null,
  lane: 'sms',
  sender: null,
  priority: 3,
  categories: 0,
  campaignId: 'camp-sms',
  maxAttempts: 4,
  notAfter: NOW + 86_400_000,
};

const EMAIL: CampaignPageShared = {
  channel: 'email',
  provider: 'outbox-email',
  lane: 'outbox-email',
  sender: 'news@example.com',
  priority: 0,
  categories: 6,
  campaignId: 'camp-email',
  maxAttempts: 2,
  notAfter: NOW + 3_600_000,
  content: { subject: 'Spring sale', text: 'Our sale starts today', html: '<p>Our sale</p>', segments: null },
};

const CASES: { name: string; shared: CampaignPageShared; rows: CampaignPageRow[] }[] = [
  { name: 'personalised SMS (each row its own text and segments)', shared: SMS, rows: rowsOf(25, true) },
  { name: 'one e-mail for everyone (content bound once)', shared: EMAIL, rows: rowsOf(25, false) },
  // Rows carry content the page overrides: the shared content wins, as its contract says.
  { name: 'shared content wins over rows that carry some', shared: EMAIL, rows: rowsOf(5, true) },
  // More than one statement's group (1000 rows): ids and event order run across groups.
  { name: 'a page larger than one statement group', shared: SMS, rows: rowsOf(2100, true) },
];

for (const backend of BACKENDS) {
  describe(`campaign page insert: ${backend}`, () => {
    const opened: Store[] = [];
    after(async () => {
      for (const s of opened) await s.close();
    });

    for (const withEndpoint of [false, true]) {
      for (const c of CASES) {
        test(`${c.name}: the same rows as insertMany${withEndpoint ? ', with an endpoint that wants events' : ''}`, async () => {
          const store = await freshStore(backend);
          opened.push(store);
          if (withEndpoint)
            await store.endpoints.create(
              { url: 'https://hooks.example/e', events: ['message.accepted', 'message.failed', 'message.expired'] },
              NOW,
            );
          const page = { ...c.shared, campaignId: `${c.shared.campaignId}-page` };
          const ids = await store.messages.insertCampaignPage(page, c.rows, NOW);
          const results = await store.messages.insertMany(expanded(c.shared, c.rows), NOW);
          assert.equal(ids.length, c.rows.length);
          assert.deepEqual([...ids].sort(), ids, 'ids in creation order');

          const viaPage = await messageRows(store, page.campaignId);
          const viaMany = await messageRows(store, c.shared.campaignId);
          assert.equal(viaPage.length, c.rows.length);
          assert.deepEqual(
            viaPage.map((r) => ({ ...r, campaign_id: c.shared.campaignId })),
            viaMany,
          );
          assert.equal(results.length, c.rows.length);
          const evPage = await eventRows(store, page.campaignId);
          const evMany = await eventRows(store, c.shared.campaignId);
          assert.deepEqual(evPage, evMany);
          if (withEndpoint) {
            const final = c.rows.filter((r) => r.state !== 'queued').length;
            assert.equal(evPage.length, c.rows.length + final, 'accepted for each, and the state each is born in');
          } else assert.equal(evPage.length, 0, 'no endpoint wants them: no event rows');
          // The queue depth (kept by triggers) counts both pages alike.
          const depth = await store.messages.countByState();
          const queued = c.rows.filter((r) => r.state === 'queued').length;
          assert.equal(depth.queued, 2 * queued);
        });
      }
    }
  });
}
