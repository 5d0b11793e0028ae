import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, type TestHerald } from '../helpers/herald.ts';
import { startSink } from '../helpers/http-sink.ts';
import { runDoc } from './doc-examples.ts';
import { configFile, waitState } from './helpers.ts';

/** Every curl example in docs/compat/*.md and docs/preferences.md, replayed against Herald. */
const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const s of stops.reverse()) await s();
});

async function herald(opts: Parameters<typeof startHerald>[0]): Promise<TestHerald> {
  const h = await startHerald(opts);
  stops.push(() => h.stop());
  return h;
}

test('docs/compat/mailing.md', async () => {
  const sink = await startSink(() => ({ status: 202, body: '{}' }));
  stops.push(() => sink.close());
  const HERALD_CONFIG = configFile({
    providers: [{ name: 'mailer', channel: 'email', type: 'http', url: `${sink.url}/send` }],
  });
  const h = await herald({ env: { HERALD_CONFIG } });
  const n = await runDoc('docs/compat/mailing.md', h, { waitState: (id, s) => waitState(h, id, s) });
  assert.ok(n >= 10);
  // The delivery service got the seed's payload.
  const sent = JSON.parse(sink.requests[0]!.body);
  assert.equal(sent.recipient, 'receiver@example.com');
  assert.equal(sent.html, '<p>Hello World!</p>');
});
