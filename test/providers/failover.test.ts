import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startHerald, type TestHerald } from '../helpers/herald.ts';
import { startSink } from '../helpers/http-sink.ts';
import { BACKENDS } from '../helpers/stores.ts';
import { startSmtpFake } from '../fakes/smtp.fake.ts';
import { closedPort, writeHeraldConfig } from './config-file.ts';

type Detail = { state: string; provider: string; attempts: { provider: string; outcome: string }[] };

for (const backend of BACKENDS) {
  describe(`provider failover: ${backend}`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanup.reverse()) await c();
    });

    async function herald(providers: object[], routes: object, env: Record<string, string> = {}): Promise<TestHerald> {
      const h = await startHerald({
        backend,
        env: {
          HERALD_CONFIG: writeHeraldConfig({ providers, routes }),
          HERALD_BREAKER_THRESHOLD: '1',
          HERALD_BREAKER_COOLDOWN_MS: '60s',
          HERALD_RETRY_SCHEDULE: '0,1h',
          ...env,
        },
      });
      cleanup.push(() => h.stop());
      return h;
    }
    const send = async (h: TestHerald, to: string) => {
      const r = await h.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: h.auth,
        payload: { channel: 'email', to, from: 'shop@example.com', subject: 'Hi', text: 'Body' },
      });
      assert.equal(r.statusCode, 202, r.body);
      return r.json().id as string;
    };
    const settled = (h: TestHerald, id: string) =>
      eventually(async () => {
        const m = (await h.inject({ url: `/v1/messages/${id}`, headers: h.auth })).json<Detail>();
        return ['sent', 'delivered', 'failed'].includes(m.state) ? m : undefined;
      });

    test('when the first provider is down its breaker opens and the second delivers', async () => {
      const backup = await startSmtpFake();
      cleanup.push(() => backup.close());
      const down = await closedPort();
      const h = await herald(
        [
          { name: 'primary', channel: 'email', type: 'smtp', url: `smtp://127.0.0.1:${down}` },
          { name: 'backup', channel: 'email', type: 'smtp', url: backup.url },
        ],
        { email: ['primary', 'backup'] },
      );
      const first = await settled(h, await send(h, 'one@example.com'));
      assert.equal(first.state, 'sent');
      assert.equal(first.provider, 'backup');
      assert.deepEqual(
        first.attempts.map((a) => [a.provider, a.outcome]),
        [['backup', 'ok']],
        'the failed call on primary and the failover happen within one attempt',
      );
      // The breaker is open now: the next message skips primary without calling it.
      const second = await settled(h, await send(h, 'two@example.com'));
      assert.equal(second.provider, 'backup');
      assert.deepEqual(backup.mails.map((m) => m.to[0]).sort(), ['one@example.com', 'two@example.com']);
      const providers = (await h.inject({ url: '/v1/providers', headers: h.auth })).json().providers as {
        name: string;
        breaker: string;
        stats: { minute: { calls: number; transientFailures: number; successes: number } };
      }[];
      const p = providers.find((x) => x.name === 'primary')!;
      const b = providers.find((x) => x.name === 'backup')!;
      assert.equal(p.breaker, 'open');
      assert.equal(p.stats.minute.calls, 1, 'primary was called once, then skipped');
      assert.equal(p.stats.minute.transientFailures, 1);
      assert.equal(b.breaker, 'closed');
      assert.equal(b.stats.minute.successes, 2);
    });

    test("a permanent failure that is the provider's fails over; one that is the recipient's does not", async () => {
      // An HTTP gateway that rejects our credentials (401: the provider's fault), then SMTP.
      const gateway = await startSink((req) => (req.body.includes('reject@') ? { status: 422 } : { status: 401 }));
      cleanup.push(() => gateway.close());
      const backup = await startSmtpFake();
      cleanup.push(() => backup.close());
      const h = await herald(
        [
          { name: 'gw', channel: 'email', type: 'http', url: `${gateway.url}/send`, token: 'wrong' },
          { name: 'smtp', channel: 'email', type: 'smtp', url: backup.url },
        ],
        { email: ['gw', 'smtp'] },
        { HERALD_BREAKER_THRESHOLD: '100' },
      );
      const moved = await settled(h, await send(h, 'ann@example.com'));
      assert.equal(moved.state, 'sent');
      assert.equal(moved.provider, 'smtp');
      assert.equal(gateway.requests[0]!.headers.authorization, 'Bearer wrong');
      // 422 from the gateway is about the message itself: no failover, the message fails.
      const stuck = await settled(h, await send(h, 'reject@example.com'));
      assert.equal(stuck.state, 'failed');
      assert.equal(stuck.provider, 'gw');
      assert.deepEqual(
        backup.mails.map((m) => m.to[0]),
        ['ann@example.com'],
      );
    });
  });
}

for (const backend of BACKENDS) {
  describe(`failover by attempts: ${backend}`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    after(async () => {
      for (const c of cleanup.reverse()) await c();
    });

    test('routes email: [mail, mail2, relay] with mail refusing connections: delivered by mail2', async () => {
      const mail2 = await startSmtpFake();
      cleanup.push(() => mail2.close());
      const relay = await startSmtpFake();
      cleanup.push(() => relay.close());
      const down = await closedPort();
      const h = await startHerald({
        backend,
        env: {
          HERALD_CONFIG: writeHeraldConfig({
            providers: [
              { name: 'mail', channel: 'email', type: 'smtp', url: `smtp://127.0.0.1:${down}` },
              { name: 'mail2', channel: 'email', type: 'smtp', url: mail2.url },
              { name: 'relay', channel: 'email', type: 'smtp', url: relay.url },
            ],
            routes: { email: ['mail', 'mail2', 'relay'] },
          }),
          // The breaker would fail over too; a high threshold shows the attempt rule alone.
          HERALD_BREAKER_THRESHOLD: '100',
          HERALD_RETRY_SCHEDULE: '0,20ms',
          HERALD_MAX_ATTEMPTS: '6',
        },
      });
      cleanup.push(() => h.stop());
      const r = await h.inject({
        method: 'POST',
        url: '/v1/messages',
        headers: h.auth,
        payload: { channel: 'email', to: 'ann@example.com', from: 'shop@example.com', subject: 'Hi', text: 'Body' },
      });
      assert.equal(r.statusCode, 202, r.body);
      const id = r.json<{ id: string }>().id;
      const m = await eventually(async () => {
        const d = (await h.inject({ url: `/v1/messages/${id}`, headers: h.auth })).json<Detail>();
        return ['sent', 'delivered', 'failed'].includes(d.state) ? d : undefined;
      });
      assert.equal(m.state, 'sent');
      assert.equal(m.provider, 'mail2');
      assert.deepEqual(
        m.attempts.map((a) => [a.provider, a.outcome]),
        [
          ['mail', 'transient'],
          ['mail', 'transient'],
          ['mail2', 'ok'],
        ],
        'each attempt shows the provider it went to',
      );
      assert.deepEqual(
        mail2.mails.map((x) => x.to[0]),
        ['ann@example.com'],
      );
      assert.equal(relay.mails.length, 0);
    });
  });
}
