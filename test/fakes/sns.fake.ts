import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  isSnsUrl,
  stringToSign,
  type SnsEnvelope,
  type SnsTransport,
  defaultSnsTransport,
} from '../../src/providers/email/ses/sns.ts';

/**
 * Amazon SNS as seen by a subscriber, on 127.0.0.1: serves a self-made signing certificate (the
 * test key pair in ./sns/, made with `openssl req -x509 -newkey rsa:2048 …`), signs envelopes
 * with its key the way SNS does, and records subscription confirmations (GET SubscribeURL).
 */
export class SnsFake {
  readonly confirmations: string[] = [];
  private readonly key = readFileSync(join(import.meta.dirname, 'sns', 'signing-key.pem'), 'utf8');
  private readonly cert = readFileSync(join(import.meta.dirname, 'sns', 'signing-cert.pem'), 'utf8');
  private server: Server | undefined;
  base = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      if (req.url === '/SimpleNotificationService-test.pem') return void res.end(this.cert);
      if (req.url?.startsWith('/confirm')) {
        this.confirmations.push(req.url);
        return void res.end('<ConfirmSubscriptionResponse/>');
      }
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The production rule (https SNS hosts) plus this server: the host check stays on. */
  transport(): SnsTransport {
    return {
      allowed: (url) => isSnsUrl(url) || url.startsWith(`${this.base}/`),
      get: (url) => defaultSnsTransport.get(url),
    };
  }

  /** An envelope signed with the fake's key (SignatureVersion 1 = SHA1, 2 = SHA256). */
  envelope(
    fields: Partial<SnsEnvelope> & Pick<SnsEnvelope, 'Type' | 'Message'>,
    version: '1' | '2' = '1',
  ): SnsEnvelope {
    const env: SnsEnvelope = {
      MessageId: '22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324',
      TopicArn: 'arn:aws:sns:us-west-2:123456789012:ses-events',
      Timestamp: '2026-01-01T12:00:00.000Z',
      SignatureVersion: version,
      Signature: '',
      SigningCertURL: `${this.base}/SimpleNotificationService-test.pem`,
      ...fields,
    };
    env.Signature = createSign(version === '1' ? 'RSA-SHA1' : 'RSA-SHA256')
      .update(stringToSign(env))
      .sign(this.key, 'base64');
    return env;
  }

  close(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
