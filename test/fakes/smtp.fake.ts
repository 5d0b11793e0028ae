import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';

/** One message the fake SMTP server accepted. */
export interface CaughtMail {
  from: string;
  to: string[];
  /** The raw RFC 5322 message. */
  raw: string;
  subject: string | undefined;
  messageId: string | undefined;
  /** The AUTH user name, if the client authenticated. */
  user: string | undefined;
}

export interface SmtpFakeOptions {
  /** Require AUTH PLAIN/LOGIN with these credentials (otherwise AUTH is optional and any login passes). */
  auth?: { user: string; pass: string };
  port?: number;
  /** One line per mail received. */
  log?: (line: string) => void;
}

/** What to answer for a recipient: accept (undefined), or an SMTP reply code and text. */
export type RcptRule = (address: string) => { code: number; message: string } | undefined;

/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1 that keeps what it receives. By
 * default it accepts everything; `rejectRcpt` makes it answer 4xx/5xx for chosen recipients, with
 * a built-in rule for tests: a local part starting `tempfail` gets 451, `reject` gets 550.
 */
export class SmtpFake {
  readonly mails: CaughtMail[] = [];
  rejectRcpt: RcptRule = (address) => {
    if (address.startsWith('tempfail')) return { code: 451, message: '4.7.1 Try again later' };
    if (address.startsWith('reject')) return { code: 550, message: '5.1.1 No such user here' };
    return undefined;
  };
  private readonly server: SMTPServer;
  private readonly opts: SmtpFakeOptions;
  private waiters: (() => void)[] = [];
  port = 0;

  constructor(opts: SmtpFakeOptions = {}) {
    this.opts = opts;
    this.server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: !opts.auth,
      allowInsecureAuth: true,
      logger: false,
      onAuth: (auth, _session, cb) => {
        const want = this.opts.auth;
        if (want && (auth.username !== want.user || auth.password !== want.pass)) {
          return cb(new Error('Invalid username or password'));
        }
        cb(null, { user: auth.username });
      },
      onRcptTo: (address: SMTPServerAddress, _session, cb) => {
        const rule = this.rejectRcpt(address.address);
        if (!rule) return cb();
        const err = new Error(rule.message) as Error & { responseCode: number };
        err.responseCode = rule.code;
        cb(err);
      },
      onData: (stream, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const head = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
          const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(head)?.[1]?.trim();
          this.mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            subject: header('Subject'),
            messageId: header('Message-ID'),
            user: typeof session.user === 'string' ? session.user : undefined,
          });
          const mail = this.mails[this.mails.length - 1]!;
          this.opts.log?.(`mail from ${mail.from} to ${mail.to.join(', ')}: ${JSON.stringify(mail.subject ?? '')}`);
          for (const w of this.waiters.splice(0)) w();
          cb(null, `Ok: queued as fake${this.mails.length}`);
        });
      },
    });
    this.server.on('error', () => undefined);
  }

  async start(): Promise<this> {
    // A port in use rejects (EADDRINUSE); the constructor's 'error' listener alone would swallow it.
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** Resolves when at least `n` mails have arrived. */
  async waitFor(n: number, timeoutMs = 10_000): Promise<CaughtMail[]> {
    const end = Date.now() + timeoutMs;
    while (this.mails.length < n) {
      if (Date.now() > end) throw new Error(`SMTP fake: ${this.mails.length} of ${n} mails after ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100).unref();
      });
    }
    return this.mails;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Starts an SMTP fake on 127.0.0.1 (a free port unless given). */
export function startSmtpFake(opts: SmtpFakeOptions = {}): Promise<SmtpFake> {
  return new SmtpFake(opts).start();
}
