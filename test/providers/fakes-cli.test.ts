import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakes } from '../../src/cli/fakes.ts';
import { loadConfig } from '../../src/config/config.ts';
import { eventually, startHerald } from '../helpers/herald.ts';
import { writeHeraldConfig } from './config-file.ts';

test('herald fakes: every fake starts, the printed HERALD_CONFIG is valid and delivers, each fake logs each message', async () => {
  const logged: string[] = [];
  const fakes = await startFakes({
    herald: 'http://127.0.0.1:9',
    anyPort: true,
    log: (fake, line) => logged.push(`${fake}: ${line}`),
  });
  try {
    assert.deepEqual(fakes.skipped, [], 'every provider has a fake');
    assert.deepEqual(
      fakes.running.map((f) => f.name),
      ['mail', 'sendgrid', 'probe', 'bulk-sms', 'twilio'],
    );
    const file = writeHeraldConfig(fakes.config);
    const cfg = loadConfig({ DATABASE_URL: 'sqlite::memory:', HERALD_CONFIG: file });
    assert.deepEqual(cfg.routes.email, ['mail', 'sendgrid']);
    const h = await startHerald({ env: { HERALD_CONFIG: file } });
    try {
      const send = async (payload: object) =>
        (await h.inject({ method: 'POST', url: '/v1/messages', headers: h.auth, payload })).json<{ id: string }>().id;
      const email = { channel: 'email', to: 'ann@example.com', from: 'shop@example.com', subject: 'Hi', text: 'x' };
      const sms = { channel: 'sms', to: '+79001234567', text: 'code' };
      const ids = [
        await send(email),
        await send(sms),
        await send({ ...email, provider: 'sendgrid' }),
        await send({ ...sms, provider: 'bulk-sms' }),
        await send({ ...sms, provider: 'twilio' }),
      ];
      for (const id of ids) {
        const m = await eventually(async () => {
          const d = (await h.inject({ url: `/v1/messages/${id}`, headers: h.auth })).json<{ state: string }>();
          return ['sent', 'delivered'].includes(d.state) ? d : undefined;
        });
        assert.ok(m);
      }
      assert.deepEqual(logged.sort(), [
        'bulk-sms: SMS to +79001234567: "code" → CONFIRMED',
        'mail: mail from shop@example.com to ann@example.com: "Hi"',
        'probe: SMS to 79001234567: "code"',
        'sendgrid: mail from shop@example.com to ann@example.com: "Hi"',
        'twilio: SMS to +79001234567 from +15005550006: "code"',
      ]);
    } finally {
      await h.stop();
    }
  } finally {
    await fakes.close();
  }
});
