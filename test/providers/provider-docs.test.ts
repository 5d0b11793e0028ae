import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/domain/clock.ts';
import { startHerald, type TestHerald } from '../helpers/herald.ts';
import { runDoc } from '../compat/doc-examples.ts';
import { waitState } from '../compat/helpers.ts';
import { startSmtpFake, type SmtpFake } from '../fakes/smtp.fake.ts';
import { writeHeraldConfig } from './config-file.ts';

/** The curl examples of docs/providers/{ses,mailgun,postmark}.md, replayed against Herald and the SMTP fake. */
let smtp: SmtpFake;
let h: TestHerald;
before(async () => {
  smtp = await startSmtpFake();
  const relay = (name: string, extra: object) => ({ name, channel: 'email', type: name, url: smtp.url, ...extra });
  const file = writeHeraldConfig({
    providers: [
      relay('ses', { topicArns: 'arn:aws:sns:eu-west-1:123456789012:ses-events' }),
      relay('mailgun', { webhookSigningKey: 'key-doc-example-0123456789abcdef' }),
      relay('postmark', { webhookPassword: 'pm-hook-secret' }),
    ],
  });
  // The Mailgun example is signed at this time (its timestamp must be fresh).
  h = await startHerald({
    env: { HERALD_CONFIG: file },
    clock: new ManualClock(Date.parse('2026-01-01T12:00:00Z'), { realTimers: true }),
  });
});
after(async () => {
  await h.stop();
  await smtp.close();
});

const directive = async ([verb, id, state]: string[]) => {
  assert.equal(verb, 'wait');
  await waitState(h, id!, state!);
};

for (const page of ['ses', 'mailgun', 'postmark']) {
  void test(`docs/providers/${page}.md`, async () => {
    assert.ok((await runDoc(`docs/providers/${page}.md`, h, { directive })) >= 1);
  });
}
