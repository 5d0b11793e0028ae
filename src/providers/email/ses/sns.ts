import { createVerify, X509Certificate } from 'node:crypto';
import { request } from 'undici';

/**
 * Amazon SNS message signatures (docs.aws.amazon.com/sns "Verifying the signatures of Amazon SNS
 * messages"): the listed fields, each as `Name\nvalue\n` in this order, signed with the key of
 * the X.509 certificate at SigningCertURL (SignatureVersion 1: SHA1withRSA; 2: SHA256withRSA).
 * The certificate is fetched only from an SNS host over https (an attacker who could name any
 * URL could sign with their own key); it is cached by URL.
 */
export interface SnsEnvelope {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  Subject?: string;
  Token?: string;
  SubscribeURL?: string;
}

const NOTIFICATION_FIELDS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const;
const CONFIRMATION_FIELDS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const;

/** Where SNS certificates and subscription links may come from: https on sns.<region>.amazonaws.com(.cn). */
export function isSnsUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    return u.protocol === 'https:' && /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(u.hostname) && !u.port;
  } catch {
    return false;
  }
}

/** How SNS URLs are checked and fetched; tests inject an allow-list that includes their own 127.0.0.1 server. */
export interface SnsTransport {
  allowed(url: string): boolean;
  get(url: string): Promise<string>;
}

export const defaultSnsTransport: SnsTransport = {
  allowed: isSnsUrl,
  async get(url) {
    const r = await request(url, { method: 'GET', headersTimeout: 10_000, bodyTimeout: 10_000 });
    const text = await r.body.text();
    if (r.statusCode !== 200) throw new Error(`GET ${new URL(url).host} answered ${r.statusCode}`);
    return text;
  },
};

export function stringToSign(env: SnsEnvelope): string {
  const fields = env.Type === 'Notification' ? NOTIFICATION_FIELDS : CONFIRMATION_FIELDS;
  let out = '';
  for (const f of fields) {
    const v = env[f];
    if (v === undefined) continue; // Subject is optional; the rest are checked present before
    out += `${f}\n${v}\n`;
  }
  return out;
}

export function isEnvelope(v: unknown): v is SnsEnvelope {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  const required = [
    'Type',
    'MessageId',
    'TopicArn',
    'Message',
    'Timestamp',
    'SignatureVersion',
    'Signature',
    'SigningCertURL',
  ];
  if (!required.every((k) => typeof o[k] === 'string')) return false;
  if (o.Type !== 'Notification' && (typeof o.Token !== 'string' || typeof o.SubscribeURL !== 'string')) return false;
  return true;
}

export class SnsVerifier {
  private readonly transport: SnsTransport;
  private readonly certs = new Map<string, Promise<X509Certificate>>();

  constructor(transport: SnsTransport = defaultSnsTransport) {
    this.transport = transport;
  }

  get allowed(): (url: string) => boolean {
    return (url) => this.transport.allowed(url);
  }

  /** Answers why the envelope is not authentic, or undefined when it is. */
  async problem(env: SnsEnvelope): Promise<string | undefined> {
    if (!this.transport.allowed(env.SigningCertURL)) return 'SigningCertURL is not an SNS certificate URL';
    const algorithm =
      env.SignatureVersion === '1' ? 'RSA-SHA1' : env.SignatureVersion === '2' ? 'RSA-SHA256' : undefined;
    if (!algorithm) return `SignatureVersion ${env.SignatureVersion} is not supported`;
    let cert: X509Certificate;
    try {
      cert = await this.cert(env.SigningCertURL);
    } catch (err) {
      return `cannot fetch the signing certificate (${(err as Error).message})`;
    }
    const ok = createVerify(algorithm)
      .update(stringToSign(env), 'utf8')
      .verify(cert.publicKey, env.Signature, 'base64');
    return ok ? undefined : 'the SNS signature does not match';
  }

  /** Confirms a subscription by fetching its SubscribeURL (only an SNS URL). */
  async confirm(env: SnsEnvelope): Promise<void> {
    if (!env.SubscribeURL || !this.transport.allowed(env.SubscribeURL))
      throw new Error('SubscribeURL is not an SNS URL');
    await this.transport.get(env.SubscribeURL);
  }

  private cert(url: string): Promise<X509Certificate> {
    let p = this.certs.get(url);
    if (!p) {
      p = this.transport.get(url).then((pem) => new X509Certificate(pem));
      // A failed fetch is not cached: the next message tries again.
      p.catch(() => this.certs.delete(url));
      if (this.certs.size > 100) this.certs.clear();
      this.certs.set(url, p);
    }
    return p;
  }
}
