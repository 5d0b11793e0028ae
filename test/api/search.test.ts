import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { startHerald, type TestHerald } from '../helpers/herald.ts';
import { BACKENDS } from '../helpers/stores.ts';
import { prefixUpperBound } from '../../src/store/search.ts';

/** Search (issue 14): messages by recipient prefix/substring and provider id; contacts by text. */
for (const backend of BACKENDS) {
  void describe(`search (${backend})`, () => {
    let h: TestHerald;
    const ids: Record<string, string> = {};
    before(async () => {
      h = await startHerald({ backend, roles: ['api'] });
      const recipients = ['Ada.Lovelace@Example.com', 'ada@other.org', 'bob@example.com', '+79001234567', 'x_%@odd.io'];
      for (const to of recipients) {
        const body = to.includes('@')
          ? { channel: 'email', to, from: 'n@example.com', subject: 's', text: 't' }
          : { channel: 'sms', to, text: 't' };
        const r = await h.inject({ method: 'POST', url: '/v1/messages', headers: h.auth, payload: body });
        assert.equal(r.statusCode, 202, r.body);
        ids[to] = r.json().id;
      }
      // A provider id as the worker records it: claim, then complete as sent.
      const now = Date.now();
      await h.rt.store.messages.claim({ owner: 'test', limit: 10, now, leaseMs: 60_000 });
      const applied = await h.rt.store.messages.complete([
        {
          id: ids['bob@example.com']!,
          owner: 'test',
          to: 'sent',
          at: now,
          countsAttempt: true,
          provider: 'outbox',
          providerMessageId: 'prov-42',
          event: { type: 'sent', source: 'worker' },
        },
      ]);
      assert.equal(applied, 1);
      const contacts = [
        { phone: '79001234567', email: 'ada@example.com', tag: 'vip', timezone: 'UTC', attributes: { city: 'Kazan' } },
        { phone: '79005550000', email: null, tag: 'Regular', timezone: 'UTC', attributes: { city: 'Omsk' } },
        { phone: null, email: 'Zed_100%@example.org', tag: null, timezone: 'UTC', attributes: {} },
      ];
      for (const c of contacts) {
        const r = await h.inject({ method: 'POST', url: '/v1/contacts', headers: h.auth, payload: c });
        assert.equal(r.statusCode, 201, r.body);
      }
    });
    after(() => h.stop());

    const list = async (query: string) => {
      const r = await h.inject({ url: `/v1/messages?${query}`, headers: h.auth });
      assert.equal(r.statusCode, 200, r.body);
      return (r.json().items as { to: string }[]).map((m) => m.to).sort();
    };
    const contacts = async (query: string) => {
      const r = await h.inject({ url: `/v1/contacts?${query}`, headers: h.auth });
      assert.equal(r.statusCode, 200, r.body);
      return (r.json().items as { phone: string | null; email: string | null }[]).map((c) => c.phone ?? c.email);
    };

    test('messages by recipient prefix, ignoring case', async () => {
      assert.deepEqual(await list('recipientPrefix=ada'), ['Ada.Lovelace@Example.com', 'ada@other.org']);
      assert.deepEqual(await list('recipientPrefix=ADA.'), ['Ada.Lovelace@Example.com']);
      assert.deepEqual(await list(`recipientPrefix=${encodeURIComponent('+7900')}`), ['+79001234567']);
      assert.deepEqual(await list('recipientPrefix=zz'), []);
    });

    test('messages by recipient substring; % and _ are plain characters', async () => {
      assert.deepEqual(await list('recipientContains=example.COM'), ['Ada.Lovelace@Example.com', 'bob@example.com']);
      assert.deepEqual(await list(`recipientContains=${encodeURIComponent('_%@')}`), ['x_%@odd.io']);
      assert.deepEqual(await list(`recipientContains=${encodeURIComponent('a%e')}`), []);
      assert.deepEqual(await list('recipientPrefix=x_'), ['x_%@odd.io']);
      assert.deepEqual(await list('recipientPrefix=x.'), [], '_ is not a wildcard');
    });

    test('a substring shorter than 3 characters is a 400 that says so', async () => {
      const r = await h.inject({ url: '/v1/messages?recipientContains=ab', headers: h.auth });
      assert.equal(r.statusCode, 400);
      assert.match(r.json().error.message, /recipientContains/);
      assert.match(r.json().error.message, /3/);
    });

    test('messages by provider message id, combined with other filters, paged', async () => {
      assert.deepEqual(await list('providerMessageId=prov-42'), ['bob@example.com']);
      assert.deepEqual(await list('providerMessageId=prov-4'), [], 'exact, not a prefix');
      assert.deepEqual(await list('recipientContains=example&channel=sms'), []);
      const first = await h.inject({ url: '/v1/messages?recipientPrefix=a&limit=1', headers: h.auth });
      const page = first.json();
      assert.equal(page.items.length, 1);
      assert.ok(page.nextCursor);
      const second = await h.inject({
        url: `/v1/messages?recipientPrefix=a&limit=10&cursor=${page.nextCursor}`,
        headers: h.auth,
      });
      const tos = [page.items[0].to, ...second.json().items.map((m: { to: string }) => m.to)];
      assert.deepEqual(tos, ['ada@other.org', 'Ada.Lovelace@Example.com'], 'newest first, each once across pages');
      assert.equal(second.json().nextCursor, null);
    });

    test('contacts by phone digits, e-mail, tag, attribute value; count agrees', async () => {
      assert.deepEqual(await contacts(`q=${encodeURIComponent('+7 900 123')}`), ['79001234567']);
      assert.deepEqual(await contacts('q=7900'), ['79001234567', '79005550000']);
      assert.deepEqual(await contacts('q=ADA@'), ['79001234567']);
      assert.deepEqual(await contacts('q=regular'), ['79005550000']);
      assert.deepEqual(await contacts('q=omsk'), ['79005550000']);
      assert.deepEqual(await contacts(`q=${encodeURIComponent('100%')}`), ['Zed_100%@example.org']);
      assert.deepEqual(await contacts('q=nowhere'), []);
      assert.deepEqual(await contacts('q=example&tag=vip'), ['79001234567']);
      const c = await h.inject({
        method: 'POST',
        url: '/v1/contacts/count',
        headers: h.auth,
        payload: { search: 'example' },
      });
      assert.equal(c.json().count, 2);
    });

    test('the search indexes exist where the engine has them', async () => {
      const names = await indexNames(h);
      if (backend === 'sqlite') assert.ok(names.has('messages_recipient_nocase'));
      else assert.ok(names.has('messages_recipient_lower'));
      if (backend === 'postgres' && names.has('pg_trgm')) {
        assert.ok(names.has('messages_recipient_trgm'));
        assert.ok(names.has('contacts_search_trgm'));
      }
    });
  });
}

void test('prefixUpperBound: the next string after every string with the prefix', () => {
  assert.equal(prefixUpperBound('abc'), 'abd');
  assert.equal(prefixUpperBound('a@'), 'aA');
  assert.equal(prefixUpperBound(''), undefined);
  assert.equal(prefixUpperBound(`a${String.fromCodePoint(0x10ffff)}`), 'b');
});

/** Index names of the test's database through a separate connection (plus `pg_trgm` when installed). */
async function indexNames(h: TestHerald): Promise<Set<string>> {
  const url = h.config.databaseUrl;
  if (url.startsWith('sqlite:')) {
    const db = new DatabaseSync(url.slice('sqlite:'.length), { readOnly: true });
    try {
      const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[];
      return new Set(rows.map((r) => r.name));
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ name: string }>(
      `SELECT indexname AS name FROM pg_indexes WHERE schemaname = $1
       UNION ALL SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'`,
      [h.schema],
    );
    return new Set(rows.map((r) => r.name));
  } finally {
    await c.end();
  }
}
