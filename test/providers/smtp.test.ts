import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startHerald, type TestHerald } from '../helpers/herald.ts';
import { BACKENDS } from '../helpers/stores.ts';
import { startSmtpFake, type SmtpFake } from '../fakes/smtp.fake.ts';
import { writeHeraldConfig } from './config-file.ts';

for (const backend of BACKENDS) {
  describe(`smtp provider end to end: ${backend}`, () => {
    let smtp: SmtpFake;
    let h: TestHerald;
    before(async () => {
      smtp = await startSmtpFake({ auth: { user: 'herald', pass: 's3cret' } });
      const file = writeHeraldConfig({
        providers: [
          {
            name: 'mail',
            channel: 'email',
            type: 'smtp',
            url: smtp.url,
            user: 'herald',
            pass: '${SMTP_PASS}',
            from: 'Herald <noreply@example.com>',
            poolSize: 2,
            maxMessages: 10,
          },
        ],
      });
      h = await startHerald({
        backend,
        env: { HERALD_CONFIG: file, SMTP_PASS: 's3cret', HERALD_RETRY_SCHEDULE: '0,1h' },
      });
    });
    after(async () => {
      await h.stop();
      await smtp.close();
    });

    const send = async (to: string, extra: object = {}) => {
      const r = await h.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: h.auth,
        payload: {
          channel: 'email',
          to,
          from: 'shop@example.com',
          subject: `Hello ${to}`,
          text: 'Plain body',
          html: '<p>Rich body</p>',
          ...extra,
        },
      });
      assert.equal(r.statusCode, 202, r.body);
      return r.json().id as string;
    };
    const detailWhen = (id: string, ok: (m: { state: string; attempts: unknown[] }) => boolean) =>
      eventually(async () => {
        const m = (await h.inject({ url: `/v1/messages/${id}`, headers: h.auth })).json();
        return ok(m) ? m : undefined;
      });

    test('delivers through the pool with auth; the Message-ID is the provider message id', async () => {
      const id = await send('ann@example.com');
      const m = await detailWhen(id, (x) => x.state === 'sent');
      const mail = (await smtp.waitFor(1)).find((x) => x.to.includes('ann@example.com'))!;
      assert.equal(mail.from, 'shop@example.com');
      assert.equal(mail.subject, 'Hello ann@example.com');
      assert.equal(mail.user, 'herald');
      assert.match(mail.raw, /Rich body/);
      assert.equal(mail.messageId, `<${id}@example.com>`);
      assert.equal((m as unknown as { providerMessageId: string }).providerMessageId, `<${id}@example.com>`);
      assert.equal((m as unknown as { provider: string }).provider, 'mail');
    });

    test('a 4xx reply is transient: the message is queued for another attempt', async () => {
      const id = await send('tempfail@example.com');
      const m = await detailWhen(id, (x) => x.attempts.length === 1 && x.state === 'queued');
      const a = (m as unknown as { attempts: { outcome: string; statusCode: number }[] }).attempts[0]!;
      assert.equal(a.outcome, 'transient');
      assert.equal(a.statusCode, 451);
    });

    test('a 5xx reply is permanent: the message fails and is not retried', async () => {
      const id = await send('reject@example.com');
      const m = await detailWhen(id, (x) => x.state === 'failed');
      const a = (m as unknown as { attempts: { outcome: string; statusCode: number }[]; reason: string }).attempts;
      assert.equal(a.length, 1);
      assert.equal(a[0]!.outcome, 'permanent');
      assert.equal(a[0]!.statusCode, 550);
      assert.match((m as unknown as { reason: string }).reason, /550/);
    });

    test('GET /v1/providers counts the calls and /metrics exposes them', async () => {
      const r = await h.inject({ url: '/v1/providers', headers: h.auth });
      assert.equal(r.statusCode, 200, r.body);
      const mail = r.json().providers.find((p: { name: string }) => p.name === 'mail');
      assert.equal(mail.type, 'smtp');
      assert.equal(mail.channel, 'email');
      assert.equal(mail.breaker, 'closed');
      assert.deepEqual(mail.routes, ['email']);
      const s = mail.stats.minute;
      assert.equal(s.calls, 3);
      assert.equal(s.messages, 3);
      assert.equal(s.successes, 1);
      assert.equal(s.transientFailures, 1);
      assert.equal(s.permanentFailures, 1);
      assert.equal(typeof s.latencyMs.p50, 'number');
      assert.ok(s.latencyMs.p99 >= s.latencyMs.p50);
      assert.deepEqual(mail.stats.day.calls, 3);
      const sms = r.json().providers.find((p: { name: string }) => p.name === 'outbox-sms');
      assert.equal(sms.default, true, 'SMS has no provider: the outbox stands in');
      const metrics = (await h.inject({ url: '/metrics', headers: h.auth })).body;
      assert.match(metrics, /herald_provider_calls_total\{provider="mail",outcome="ok"\} 1/);
      assert.match(metrics, /herald_provider_messages_total\{provider="mail",outcome="permanent"\} 1/);
    });
  });
}
