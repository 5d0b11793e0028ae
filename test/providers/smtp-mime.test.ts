import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { dkimVerify } from 'mailauth';
import { eventually, startHerald, type TestHerald } from '../helpers/herald.ts';
import { startSmtpFake, type SmtpFake } from '../fakes/smtp.fake.ts';
import { writeHeraldConfig } from './config-file.ts';

/** The DKIM key pair of the test domain; the verifier reads the public half from this "DNS". */
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const dnsTxt = `v=DKIM1; k=rsa; p=${publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;
const resolver = async (name: string, type: string) => {
  if (type === 'TXT' && name === 'herald._domainkey.example.com') return [[dnsTxt]];
  throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
};

/**
 * E-mail as it leaves Herald over SMTP, checked by a real SMTP server, a MIME parser (mailparser)
 * and a DKIM verifier (mailauth): MIME tree, names, headers, Message-ID, DKIM, List-Unsubscribe,
 * and the RFC 8058 one-click POST from an HTTP client.
 */
describe('e-mail over SMTP: MIME, DKIM, unsubscribe, hard bounces', () => {
  let smtp: SmtpFake;
  let h: TestHerald;
  before(async () => {
    smtp = await startSmtpFake();
    const dir = mkdtempSync(join(tmpdir(), 'herald-dkim-'));
    const keyFile = join(dir, 'dkim.pem');
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const file = writeHeraldConfig({
      providers: [
        {
          name: 'mail',
          channel: 'email',
          type: 'smtp',
          url: smtp.url,
          from: 'shop@example.com',
          dkimDomain: 'example.com',
          dkimSelector: 'herald',
          dkimKeyFile: keyFile,
        },
      ],
    });
    h = await startHerald({
      listen: true,
      env: {
        HERALD_CONFIG: file,
        HERALD_RETRY_SCHEDULE: '0,1h',
        HERALD_PUBLIC_URL: 'https://herald.example.org/',
        HERALD_UNSUBSCRIBE_MAILTO: 'unsubscribe@example.org',
      },
    });
  });
  after(async () => {
    await h.stop();
    await smtp.close();
  });

  const send = async (body: object) => {
    const r = await h.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: h.auth,
      payload: { channel: 'email', from: 'shop@example.com', subject: 'Hello', ...body },
    });
    assert.equal(r.statusCode, 202, r.body);
    return r.json().id as string;
  };
  const caught = async (to: string) => {
    const mail = await eventually(() => smtp.mails.find((m) => m.to.includes(to)), 10_000, `mail to ${to}`);
    return { raw: mail.raw, parsed: await simpleParser(mail.raw) };
  };

  test('HTML only becomes multipart/alternative with a text part; names, Reply-To, headers, Message-ID', async () => {
    const id = await send({
      to: 'ann@example.net',
      toName: 'Ann Example',
      fromName: 'The Shop',
      replyTo: 'help@example.com',
      html: '<h1>Sale</h1><p>See <a href="https://shop.example.com/sale">our sale</a>.</p>',
      headers: { 'X-Campaign-Tag': 'spring', 'In-Reply-To': '<prior@example.com>' },
    });
    const { raw, parsed } = await caught('ann@example.net');
    // The tree: one multipart/alternative with text/plain first, then text/html (RFC 2046 §5.1.4).
    assert.match(
      parsed.headers.get('content-type') ? JSON.stringify(parsed.headers.get('content-type')) : '',
      /multipart\/alternative/,
    );
    const plainAt = raw.search(/Content-Type: text\/plain/i);
    const htmlAt = raw.search(/Content-Type: text\/html/i);
    assert.ok(plainAt > 0 && htmlAt > plainAt, 'text/plain comes before text/html');
    assert.match(parsed.text!, /SALE/);
    assert.match(parsed.text!, /our sale \[https:\/\/shop\.example\.com\/sale\]/);
    assert.match(String(parsed.html), /<h1>Sale<\/h1>/);
    assert.deepEqual(parsed.from!.value[0], { address: 'shop@example.com', name: 'The Shop' });
    const to = Array.isArray(parsed.to) ? parsed.to[0]! : parsed.to!;
    assert.deepEqual(to.value[0], { address: 'ann@example.net', name: 'Ann Example' });
    assert.equal(parsed.replyTo!.value[0]!.address, 'help@example.com');
    assert.equal(parsed.headers.get('x-campaign-tag'), 'spring');
    assert.equal(parsed.inReplyTo, '<prior@example.com>');
    assert.equal(parsed.messageId, `<${id}@herald.example.org>`);
    assert.equal(parsed.headers.get('x-herald-id'), id);
    // Transactional (no category, no campaign): no unsubscribe headers.
    assert.equal(parsed.headers.get('list-unsubscribe'), undefined);
  });

  test('the DKIM signature verifies with a real verifier; a changed body does not', async () => {
    await send({ to: 'dkim@example.net', text: 'Signed body' });
    const { raw } = await caught('dkim@example.net');
    const ok = await dkimVerify(Buffer.from(raw), { resolver });
    assert.equal(ok.results[0]!.status.result, 'pass', JSON.stringify(ok.results[0]!.status));
    assert.equal(ok.results[0]!.signingDomain, 'example.com');
    const tampered = await dkimVerify(Buffer.from(raw.replace('Signed body', 'Changed body')), { resolver });
    assert.notEqual(tampered.results[0]!.status.result, 'pass');
  });

  test('categorised mail carries one-click unsubscribe; the RFC 8058 POST opts the address out of that category', async () => {
    await send({ to: 'bob@example.net', text: 'News', categories: 4 });
    const { raw } = await caught('bob@example.net');
    // Read the raw header (unfolded): parsers reshape List-* headers.
    const head = raw.split(/\r?\n\r?\n/, 1)[0]!.replace(/\r?\n[ \t]+/g, ' ');
    const header = (name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(head)?.[1];
    assert.equal(header('List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
    const list = header('List-Unsubscribe') ?? '';
    const link = /<(https:\/\/herald\.example\.org\/u\/[^>]+)>/.exec(list)?.[1];
    assert.ok(link, `an https link under HERALD_PUBLIC_URL in ${list}`);
    assert.match(list, /<mailto:unsubscribe@example\.org\?subject=unsubscribe%20/);
    const token = link.split('/u/')[1]!;

    // What a mailbox provider does (RFC 8058 §3.2): POST the form body, no cookies, no key.
    const post = (t: string) =>
      fetch(`${h.url}/u/${t}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
    const r = await post(token);
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { optOut: number }).optOut, 4);
    assert.equal((await post(token)).status, 200, 'replaying the same token is harmless');
    const pref = await h.inject({ url: '/v1/preferences/bob@example.net', headers: h.auth });
    assert.equal(pref.json().optOut, 4);
    // The next mail of that category is suppressed at accept; other categories still go.
    const again = await h.inject({
      method: 'POST',
      url: '/v1/messages',
      headers: h.auth,
      payload: {
        channel: 'email',
        to: 'bob@example.net',
        from: 'a@example.com',
        subject: 's',
        text: 't',
        categories: 4,
      },
    });
    assert.equal(again.json().state, 'suppressed');

    // Forged: the same MAC over another address, or a changed MAC, is refused.
    const [v, payload, mac] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as unknown[];
    claims[0] = 'mallory@example.net';
    const other = `${v}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${mac}`;
    assert.equal((await post(other)).status, 403);
    assert.equal((await post(`${v}.${payload}.${mac!.slice(0, -2)}xx`)).status, 403);
    assert.equal((await post('nonsense')).status, 403);
    const mallory = await h.inject({ url: '/v1/preferences/mallory@example.net', headers: h.auth });
    assert.equal(mallory.json().optOut, 0);

    // The page: a GET changes nothing and offers the button and the categories.
    const page = await fetch(`${h.url}/u/${token}`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /bob@example\.net/);
    assert.match(html, /name="keep" value="4"/);
  });

  test('an SMTP 550 5.1.1 at send time fails the message and suppresses the address', async () => {
    const id = await send({ to: 'reject-me@example.net', text: 'x' });
    await eventually(async () => {
      const m = (await h.inject({ url: `/v1/messages/${id}`, headers: h.auth })).json();
      return m.state === 'failed' ? m : undefined;
    });
    const s = await eventually<{ source: string; reason: string }>(async () => {
      const r = await h.inject({ url: '/v1/suppressions/reject-me@example.net', headers: h.auth });
      return r.statusCode === 200 ? r.json() : undefined;
    });
    assert.equal(s.source, 'bounce');
    assert.match(s.reason, /550/);
  });
});
