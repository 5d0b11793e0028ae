import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startHerald, type TestHerald } from '../helpers/herald.ts';
import { runDoc } from '../compat/doc-examples.ts';
import { createUnsubscribeKit } from '../../src/unsubscribe/setup.ts';

/** Every curl example of docs/templates.md, replayed against Herald (the API role: messages stay queued). */
let h: TestHerald | undefined;
after(() => h?.stop());

void test('docs/templates.md', async () => {
  h = await startHerald({ roles: ['api'], env: { HERALD_SMS_MAX_SEGMENTS: '2' } });
  const herald = h;
  const n = await runDoc('docs/templates.md', herald, {
    // `token <message id>`: the unsubscribe token of that message, as its List-Unsubscribe link carries it.
    directive: async ([verb, id], vars) => {
      assert.equal(verb, 'token');
      const m = (await herald.rt.store.messages.get(id!))!;
      const kit = await createUnsubscribeKit(herald.config, herald.rt.store, herald.rt.clock);
      vars.TOKEN = kit.tokens.forMessage(m);
    },
  });
  assert.ok(n >= 10);
  const pref = await herald.inject({ url: '/v1/preferences/ann@example.com', headers: herald.auth });
  assert.equal(pref.json().optOut, 4);
});
