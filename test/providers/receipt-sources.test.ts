import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { PROVIDER_TYPES } from '../../src/providers/types.ts';
import { PROVIDER_SCHEMAS } from '../../src/providers/schemas.ts';
import type { ProviderSchema } from '../../src/providers/options.ts';
import { sesProviderType } from '../../src/providers/email/ses/ses.provider.ts';
import { isSnsUrl } from '../../src/providers/email/ses/sns.ts';
import { eventually, startHerald, type TestHerald } from '../helpers/herald.ts';
import { startSmtpFake, type SmtpFake } from '../fakes/smtp.fake.ts';
import { SnsFake } from '../fakes/sns.fake.ts';
import { writeHeraldConfig } from './config-file.ts';

const MAILGUN_KEY = 'key-7e55a2b7d3a0c4f1e9b8d6c5a4f3e2d1';

/**
 * SES (through SNS), Mailgun and Postmark: each sends through the SMTP fake and takes its
 * provider's webhook format at POST /v1/providers/{name}/events, checked as the provider signs
 * it. Hard bounces and complaints suppress the address.
 */
describe('receipt sources: SES via SNS, Mailgun, Postmark', () => {
  let smtp: SmtpFake;
  let sns: SnsFake;
  let h: TestHerald;
  before(async () => {
    smtp = await startSmtpFake();
    sns = await new SnsFake().start();
    // The SES type with the fake's allow-list: production keeps the SNS-hosts-only rule.
    const sesTest = { ...sesProviderType(sns.transport()), type: 'ses-test' };
    PROVIDER_TYPES['ses-test'] = sesTest;
    (PROVIDER_SCHEMAS as Record<string, ProviderSchema>)['ses-test'] = sesTest;
    const relay = (name: string, type: string, extra: object = {}) => ({
      name,
      channel: 'email',
      type,
      url: smtp.url,
      from: 'shop@example.com',
      ...extra,
    });
    const file = writeHeraldConfig({
      providers: [
        relay('ses', 'ses-test', { topicArns: 'arn:aws:sns:us-west-2:123456789012:ses-events' }),
        relay('mailgun', 'mailgun', { webhookSigningKey: MAILGUN_KEY }),
        relay('postmark', 'postmark', { webhookPassword: 'pm-hook-secret' }),
      ],
    });
    h = await startHerald({ env: { HERALD_CONFIG: file } });
  });
  after(async () => {
    await h.stop();
    await smtp.close();
    await sns.close();
    delete PROVIDER_TYPES['ses-test'];
    delete (PROVIDER_SCHEMAS as Record<string, ProviderSchema>)['ses-test'];
  });

  const sent = async (provider: string, to: string) => {
    const r = await h.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: h.auth,
      payload: { channel: 'email', provider, to, from: 'shop@example.com', subject: 'Hi', text: 'Hello' },
    });
    assert.equal(r.statusCode, 202, r.body);
    const id = r.json().id as string;
    await eventually(async () => ((await message(id)).state === 'sent' ? true : undefined));
    return id;
  };
  const message = async (id: string) => (await h.inject({ url: `/v1/messages/${id}`, headers: h.auth })).json();
  const suppressed = async (to: string) =>
    (await h.inject({ url: `/v1/suppressions/${to}`, headers: h.auth })).statusCode === 200;
  const events = (name: string, payload: unknown, headers: Record<string, string> = {}) =>
    h.inject({
      method: 'POST',
      url: `/v1/providers/${name}/events`,
      headers: { 'content-type': 'application/json', ...headers },
      payload: JSON.stringify(payload),
    });

  test('the relays tag each mail so that their events name Herald’s message', async () => {
    await sent('ses', 'tags-ses@example.net');
    await sent('mailgun', 'tags-mg@example.net');
    await sent('postmark', 'tags-pm@example.net');
    const raw = (to: string) => smtp.mails.find((m) => m.to.includes(to))!.raw;
    assert.match(raw('tags-ses@example.net'), /^X-SES-MESSAGE-TAGS: herald_id=[0-9a-f-]{36}/im);
    assert.match(raw('tags-mg@example.net'), /^X-Mailgun-Variables: \{"herald_id":"[0-9a-f-]{36}"\}/im);
    assert.match(raw('tags-pm@example.net'), /^X-PM-Metadata-herald_id: [0-9a-f-]{36}/im);
  });

  describe('SES via SNS', () => {
    const notification = (ses: object) => sns.envelope({ Type: 'Notification', Message: JSON.stringify(ses) });
    // Shaped as the SES developer guide's example bounce and complaint notifications.
    const sesBounce = (id: string, to: string, bounceType = 'Permanent') => ({
      notificationType: 'Bounce',
      bounce: {
        bounceType,
        bounceSubType: bounceType === 'Permanent' ? 'General' : 'MailboxFull',
        bouncedRecipients: [
          { emailAddress: to, action: 'failed', status: '5.1.1', diagnosticCode: 'smtp; 550 5.1.1 user unknown' },
        ],
        timestamp: '2026-01-01T12:00:00.000Z',
        feedbackId: '00000137860315fd-869464a4-8680-4114-98d3-716fe35851f9-000000',
      },
      mail: {
        timestamp: '2026-01-01T11:59:59.000Z',
        source: 'shop@example.com',
        messageId: '00000137860315fd-34208509-5b74-41f3-95c5-22c1edc3c924-000000',
        destination: [to],
        tags: { herald_id: [id] },
      },
    });

    test('subscription confirmation: verified, then SubscribeURL is fetched; nothing applied', async () => {
      const env = sns.envelope(
        {
          Type: 'SubscriptionConfirmation',
          Message: 'You have chosen to subscribe to the topic …',
          Token:
            '2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a747ba6f3beb71854e285d6ad02428b09ceece29417f1f02d609c582afbacc99c583a916b9981dd2728f4ae6fdb82efd087cc3b7849e05798d2d2785c03b0879594eeac82c01f235d0e717736',
          SubscribeURL: `${sns.base}/confirm?Action=ConfirmSubscription&Token=2336412f37`,
        },
        '2',
      );
      const r = await events('ses', env, { 'x-amz-sns-message-type': 'SubscriptionConfirmation' });
      assert.equal(r.statusCode, 200, r.body);
      assert.equal(r.json().received, 0);
      assert.equal(sns.confirmations.length, 1);
    });

    test('a permanent bounce bounces the message and suppresses the address; a transient one only fails it', async () => {
      const id = await sent('ses', 'gone@example.net');
      const r = await events('ses', notification(sesBounce(id, 'gone@example.net')));
      assert.equal(r.statusCode, 200, r.body);
      assert.equal((await message(id)).state, 'bounced');
      assert.ok(await suppressed('gone@example.net'));
      const soft = await sent('ses', 'full@example.net');
      await events('ses', notification(sesBounce(soft, 'full@example.net', 'Transient')));
      assert.equal((await message(soft)).state, 'failed');
      assert.equal(await suppressed('full@example.net'), false);
    });

    test('a complaint marks spam and suppresses; a delivery delivers', async () => {
      const id = await sent('ses', 'angry@example.net');
      const complaint = {
        notificationType: 'Complaint',
        complaint: { complainedRecipients: [{ emailAddress: 'angry@example.net' }], complaintFeedbackType: 'abuse' },
        mail: { messageId: 'x', destination: ['angry@example.net'], tags: { herald_id: [id] } },
      };
      assert.equal((await events('ses', notification(complaint))).statusCode, 200);
      assert.equal((await message(id)).engagement.spam, true);
      assert.ok(await suppressed('angry@example.net'));
      const ok = await sent('ses', 'fine@example.net');
      const delivery = {
        notificationType: 'Delivery',
        delivery: { recipients: ['fine@example.net'], smtpResponse: '250 ok' },
        mail: { messageId: 'y', destination: ['fine@example.net'], tags: { herald_id: [ok] } },
      };
      await events('ses', notification(delivery));
      assert.equal((await message(ok)).state, 'delivered');
    });

    test('forged, altered or foreign-certificate messages are refused', async () => {
      const id = await sent('ses', 'safe@example.net');
      const env = notification(sesBounce(id, 'safe@example.net'));
      const altered = { ...env, Message: env.Message.replace('Permanent', 'Transient') };
      assert.equal((await events('ses', altered)).statusCode, 401);
      const elsewhere = { ...env, SigningCertURL: 'https://evil.example.com/SimpleNotificationService-test.pem' };
      assert.equal((await events('ses', elsewhere)).statusCode, 401);
      const otherTopic = sns.envelope({
        Type: 'Notification',
        Message: env.Message,
        TopicArn: 'arn:aws:sns:us-west-2:1:other',
      });
      const foreign = await events('ses', otherTopic);
      assert.equal(foreign.statusCode, 401);
      assert.match(foreign.json().error.message, /topicArns/);
      assert.equal((await events('ses', { hello: 'world' })).statusCode, 400);
      assert.equal((await message(id)).state, 'sent');
      assert.equal(await suppressed('safe@example.net'), false);
    });

    test('production allows certificates only from https SNS hosts', () => {
      assert.equal(isSnsUrl('https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.pem'), true);
      assert.equal(isSnsUrl('https://sns.cn-north-1.amazonaws.com.cn/x.pem'), true);
      assert.equal(isSnsUrl('http://sns.us-east-1.amazonaws.com/x.pem'), false);
      assert.equal(isSnsUrl('https://sns.us-east-1.amazonaws.com.evil.com/x.pem'), false);
      assert.equal(isSnsUrl('https://evilsns.us-east-1.amazonaws.com/x.pem'), false);
      assert.equal(isSnsUrl(`${sns.base}/SimpleNotificationService-test.pem`), false);
    });
  });

  describe('Mailgun', () => {
    const signed = (eventData: object, timestamp = String(Math.floor(Date.now() / 1000)), key = MAILGUN_KEY) => {
      const token = 'a8ce0edb2dd8301dcc8b5d2d8b4ab9c5d1ab8c19ae1e9c0a4e';
      const signature = createHmac('sha256', key)
        .update(timestamp + token)
        .digest('hex');
      return { signature: { timestamp, token, signature }, 'event-data': eventData };
    };
    // Shaped as Mailgun's documented "failed" (permanent) webhook example.
    const failed = (id: string, to: string) => ({
      event: 'failed',
      severity: 'permanent',
      reason: 'bounce',
      recipient: to,
      id: 'G9Bn5sl1TC6nu79C8C0bwg',
      timestamp: 1521233195.375624,
      'delivery-status': {
        code: 550,
        message: '5.1.1 The email account that you tried to reach does not exist',
        description: '',
      },
      message: { headers: { 'message-id': `${id}@herald.local`, to, from: 'shop@example.com', subject: 'Hi' } },
      'user-variables': { herald_id: id },
    });

    test('a signed permanent bounce bounces and suppresses; a complaint marks spam', async () => {
      const id = await sent('mailgun', 'mg-gone@example.net');
      const r = await events('mailgun', signed(failed(id, 'mg-gone@example.net')));
      assert.equal(r.statusCode, 200, r.body);
      const m = await message(id);
      assert.equal(m.state, 'bounced');
      assert.match(m.reason, /550/);
      assert.ok(await suppressed('mg-gone@example.net'));
      const c = await sent('mailgun', 'mg-angry@example.net');
      await events(
        'mailgun',
        signed({ event: 'complained', recipient: 'mg-angry@example.net', 'user-variables': { herald_id: c } }),
      );
      assert.ok(await suppressed('mg-angry@example.net'));
    });

    test('a wrong key, a changed body or an old timestamp is refused', async () => {
      const id = await sent('mailgun', 'mg-safe@example.net');
      assert.equal(
        (await events('mailgun', signed(failed(id, 'mg-safe@example.net'), undefined, 'key-other'))).statusCode,
        401,
      );
      const old = String(Math.floor(Date.now() / 1000) - 3600);
      assert.equal((await events('mailgun', signed(failed(id, 'mg-safe@example.net'), old))).statusCode, 401);
      const body = signed(failed(id, 'mg-safe@example.net'));
      body.signature.token = 'b' + body.signature.token.slice(1);
      assert.equal((await events('mailgun', body)).statusCode, 401);
      assert.equal((await message(id)).state, 'sent');
    });
  });

  describe('Postmark', () => {
    const basic = (password: string) => ({
      authorization: `Basic ${Buffer.from(`postmark:${password}`).toString('base64')}`,
    });
    // Shaped as Postmark's documented bounce webhook example.
    const bounce = (id: string, to: string, type = 'HardBounce') => ({
      RecordType: 'Bounce',
      ID: 4323372036854775807,
      Type: type,
      TypeCode: type === 'HardBounce' ? 1 : 4096,
      Name: type === 'HardBounce' ? 'Hard bounce' : 'Soft bounce',
      Tag: 'Test',
      MessageID: '883953f4-6105-42a2-a16a-77a8eac79483',
      Metadata: { herald_id: id },
      ServerID: 23,
      MessageStream: 'outbound',
      Description: 'The server was unable to deliver your message (ex: unknown user, mailbox not found).',
      Details: 'Test bounce details',
      Email: to,
      From: 'shop@example.com',
      BouncedAt: '2026-01-01T12:00:00Z',
      DumpAvailable: true,
      Inactive: true,
      CanActivate: true,
      Subject: 'Hi',
    });

    test('basic auth; a hard bounce suppresses, a soft bounce fails; a spam complaint suppresses', async () => {
      const id = await sent('postmark', 'pm-gone@example.net');
      assert.equal((await events('postmark', bounce(id, 'pm-gone@example.net'))).statusCode, 401);
      assert.equal((await events('postmark', bounce(id, 'pm-gone@example.net'), basic('wrong'))).statusCode, 401);
      const r = await events('postmark', bounce(id, 'pm-gone@example.net'), basic('pm-hook-secret'));
      assert.equal(r.statusCode, 200, r.body);
      assert.equal((await message(id)).state, 'bounced');
      assert.ok(await suppressed('pm-gone@example.net'));
      const soft = await sent('postmark', 'pm-soft@example.net');
      await events('postmark', bounce(soft, 'pm-soft@example.net', 'SoftBounce'), basic('pm-hook-secret'));
      assert.equal((await message(soft)).state, 'failed');
      assert.equal(await suppressed('pm-soft@example.net'), false);
      const spam = await sent('postmark', 'pm-spam@example.net');
      const complaint = {
        ...bounce(spam, 'pm-spam@example.net', 'SpamComplaint'),
        RecordType: 'SpamComplaint',
        TypeCode: 512,
      };
      await events('postmark', complaint, basic('pm-hook-secret'));
      assert.equal((await message(spam)).engagement.spam, true);
      assert.ok(await suppressed('pm-spam@example.net'));
    });
  });
});
