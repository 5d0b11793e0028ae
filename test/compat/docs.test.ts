import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startHerald, type TestHerald } from '../helpers/herald.ts';
import { startSink } from '../helpers/http-sink.ts';
import { runDoc } from './doc-examples.ts';
import { configFile, waitState } from './helpers.ts';

/** Every curl example in docs/compat/{mailing,postmaster,smsproxy}.md, docs/campaigns.md and docs/preferences.md, replayed against Herald. */
const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const s of stops.reverse()) await s();
});

/** The docs' `<!-- doc-test: … -->` directives: `wait <id> <state>`, `wait-last <recipient> <state>`. */
function directives(h: TestHerald) {
  return async ([verb, subject, state]: string[]) => {
    if (verb === 'wait') return waitState(h, subject!, state!);
    if (verb === 'wait-last') {
      const page = await eventually(async () => {
        const p = await h.rt.store.messages.list({ recipient: subject }, 1);
        return p.items[0]?.state === state ? p : undefined;
      });
      return void page;
    }
    throw new Error(`unknown doc-test directive ${verb}`);
  };
}

async function herald(opts: Parameters<typeof startHerald>[0]): Promise<TestHerald> {
  const h = await startHerald(opts);
  stops.push(() => h.stop());
  return h;
}

void test('docs/compat/mailing.md', async () => {
  const sink = await startSink(() => ({ status: 202, body: '{}' }));
  stops.push(() => sink.close());
  const HERALD_CONFIG = configFile({
    providers: [{ name: 'mailer', channel: 'email', type: 'http', url: `${sink.url}/send` }],
  });
  const h = await herald({ env: { HERALD_CONFIG } });
  const n = await runDoc('docs/compat/mailing.md', h, { directive: directives(h) });
  assert.ok(n >= 10);
  // The delivery service got the seed's payload.
  const sent = JSON.parse(sink.requests[0]!.body);
  assert.equal(sent.recipient, 'receiver@example.com');
  assert.equal(sent.html, '<p>Hello World!</p>');
});

void test('docs/compat/postmaster.md (POST /rpc and the HERALD_RPC_PORT listener)', async () => {
  const h = await herald({});
  assert.ok((await runDoc('docs/compat/postmaster.md', h, { directive: directives(h) })) >= 10);
  // The same examples on every path of the separate JSON-RPC listener.
  const r = await herald({ env: { HERALD_RPC_PORT: '39999' } });
  const rpc = r.rt.rpcApp!;
  const inject = ((o: { url: string }) =>
    rpc.inject({ ...o, url: '/any/path' } as never)) as unknown as TestHerald['inject'];
  assert.ok((await runDoc('docs/compat/postmaster.md', r, { inject, directive: directives(r) })) >= 10);
});

void test('docs/compat/smsproxy.md', async () => {
  const h = await herald({ roles: ['api'] });
  assert.ok((await runDoc('docs/compat/smsproxy.md', h)) >= 7);
});

void test('docs/campaigns.md', async () => {
  const h = await herald({ roles: ['api'] });
  assert.ok((await runDoc('docs/campaigns.md', h)) >= 2);
});

void test('docs/preferences.md', async () => {
  const h = await herald({ roles: ['api'] });
  assert.ok((await runDoc('docs/preferences.md', h)) >= 10);
  const last = await h.inject({
    method: 'GET',
    url: '/v1/recipients/ann@example.com/last?uniqueId=news-42',
    headers: h.auth,
  });
  assert.equal(last.json().message.reason, 'recipient opted out of category 4');
});
