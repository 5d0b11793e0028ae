import { stringify } from 'yaml';
import { didYouMean } from '../config/suggest.ts';
import { StartupError } from './startup.ts';

/**
 * `herald fakes`: starts local fakes of every provider on 127.0.0.1 (the same servers the tests
 * use, from test/fakes/) and prints a HERALD_CONFIG that points Herald at them, so a person can
 * try each provider on one machine. Development only: the fakes import devDependencies
 * (smtp-server), so this command needs `npm install` with dev dependencies. The config goes to
 * stdout and everything else to stderr, so `herald fakes > herald.yaml` saves a usable file.
 */

interface RunningFake {
  url: string;
  /** SendGrid's fake signs events with its own key. */
  publicKey?: string;
  close(): Promise<void>;
}

interface FakeSpec {
  /** Provider name in the sample config. */
  name: string;
  module: string;
  start: string;
  port: number;
  /** Options for the fake's start function. */
  fakeOptions(heraldUrl: string): Record<string, unknown>;
  /** The provider entry for HERALD_CONFIG. */
  provider(fake: RunningFake, heraldUrl: string): Record<string, unknown>;
}

const TOKEN = 'local-fake-token';
const SECRET = 'local-fake-webhook-secret';
const TWILIO_SID = 'AC00000000000000000000000000000000';

const SPECS: FakeSpec[] = [
  {
    name: 'mail',
    module: '../../test/fakes/smtp.fake.ts',
    start: 'startSmtpFake',
    port: 2525,
    fakeOptions: () => ({}),
    provider: ({ url }) => ({ name: 'mail', channel: 'email', type: 'smtp', url }),
  },
  {
    name: 'sendgrid',
    module: '../../test/fakes/sendgrid.fake.ts',
    start: 'startSendgridFake',
    port: 8084,
    fakeOptions: (herald) => ({
      apiKey: TOKEN,
      eventsUrl: `${herald}/v1/providers/sendgrid/events`,
      autoEventsMs: 500,
    }),
    provider: ({ url, publicKey }) => ({
      name: 'sendgrid',
      channel: 'email',
      type: 'sendgrid',
      baseUrl: url,
      apiKey: TOKEN,
      webhookPublicKey: publicKey,
    }),
  },
  {
    name: 'probe',
    module: '../../test/fakes/fbrq.fake.ts',
    start: 'startFbrqFake',
    port: 8081,
    fakeOptions: () => ({ token: TOKEN }),
    provider: ({ url }) => ({ name: 'probe', channel: 'sms', type: 'fbrq', baseUrl: url, token: TOKEN }),
  },
  {
    name: 'bulk-sms',
    module: '../../test/fakes/sms-batch.fake.ts',
    start: 'startSmsBatchFake',
    port: 8082,
    fakeOptions: (herald) => ({
      token: TOKEN,
      secret: SECRET,
      autoUpdatesMs: 500,
      callbackUrl: `${herald}/v1/providers/bulk-sms/events`,
    }),
    provider: ({ url }, herald) => ({
      name: 'bulk-sms',
      channel: 'sms',
      type: 'sms-batch',
      baseUrl: url,
      token: TOKEN,
      batchSize: 100,
      lingerMs: 200,
      webhookSecret: SECRET,
      statusCallbackUrl: `${herald}/v1/providers/bulk-sms/events`,
    }),
  },
  {
    name: 'twilio',
    module: '../../test/fakes/twilio.fake.ts',
    start: 'startTwilioFake',
    port: 8083,
    fakeOptions: () => ({ accountSid: TWILIO_SID, authToken: TOKEN, autoCallbacksMs: 500 }),
    provider: ({ url }, herald) => ({
      name: 'twilio',
      channel: 'sms',
      type: 'twilio',
      baseUrl: url,
      accountSid: TWILIO_SID,
      authToken: TOKEN,
      from: '+15005550006',
      statusCallbackUrl: `${herald}/v1/providers/twilio/events`,
    }),
  },
];

const USAGE = `herald fakes — local fakes of every provider, to try Herald on one machine (development)

Usage: herald fakes [--herald <url>] [--only <names>] [--any-port | --ports-from <port>]

  --herald <url>   Herald's base URL, where the fakes post receipts (default http://127.0.0.1:3000)
  --only <names>   start only these, comma-separated: ${SPECS.map((s) => s.name).join(', ')}
  --any-port       free ports instead of the fixed ones (${SPECS.map((s) => `${s.name} ${s.port}`).join(', ')})
  --ports-from <n> the fakes started take ports n, n+1, … in the order above
  --help           this text

The HERALD_CONFIG (YAML) goes to stdout, everything else to stderr:
  herald fakes > herald.yaml          then, in another terminal:
  HERALD_CONFIG=herald.yaml herald serve
Each fake prints one line on stderr per message it receives. Ctrl-C stops them.`;

export interface FakesOptions {
  /** Herald's base URL, where the fakes post receipts. */
  herald: string;
  /** Start only these (provider names of the sample config). */
  only?: Set<string> | undefined;
  /** Free ports instead of the fixed ones (tests; a busy machine). */
  anyPort?: boolean;
  /** The fakes started take ports from this one up, in SPECS order. */
  portsFrom?: number;
  /** Each fake's line per message it receives. */
  log?: (fake: string, line: string) => void;
}

/** The options, or undefined for --help. Bad arguments are a StartupError (exit code 2). */
function parseArgs(argv: string[]): FakesOptions | undefined {
  const o: FakesOptions = { herald: 'http://127.0.0.1:3000' };
  const value = (flag: string, i: number): string => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--'))
      throw new StartupError(`fakes: ${flag} needs a value (herald fakes --help)`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return undefined;
    else if (a === '--herald') o.herald = value(a, ++i);
    else if (a === '--only') o.only = new Set(value(a, ++i).split(',').filter(Boolean));
    else if (a === '--any-port') o.anyPort = true;
    else if (a === '--ports-from') {
      o.portsFrom = Number(value(a, ++i));
      if (!Number.isInteger(o.portsFrom) || o.portsFrom < 1 || o.portsFrom > 65535)
        throw new StartupError(`fakes: --ports-from needs a port number (got ${JSON.stringify(argv[i])})`);
    } else {
      const flags = ['--herald', '--only', '--any-port', '--ports-from', '--help'];
      throw new StartupError(`fakes: unknown argument "${a}"${didYouMean(a, flags)} (herald fakes --help)`);
    }
  }
  const names = SPECS.map((s) => s.name);
  for (const name of o.only ?? []) {
    if (!names.includes(name)) {
      throw new StartupError(`fakes: no fake named "${name}" (known: ${names.join(', ')})${didYouMean(name, names)}`);
    }
  }
  o.herald = o.herald.replace(/\/$/, '');
  return o;
}

export interface RunningFakes {
  running: { name: string; url: string }[];
  /** Fakes whose module is not there (not built yet). */
  skipped: string[];
  /** A HERALD_CONFIG document that points Herald at the running fakes. */
  config: { providers: Record<string, unknown>[]; routes: Record<string, string[]> };
  close(): Promise<void>;
}

/**
 * Starts what exists of the fakes; a fake whose module is missing is skipped. Ports already in
 * use are tried all, then reported together as one StartupError; any other failure throws.
 */
export async function startFakes(opts: FakesOptions): Promise<RunningFakes> {
  const running: { spec: FakeSpec; fake: RunningFake }[] = [];
  const skipped: string[] = [];
  const taken: string[] = [];
  const close = () => Promise.all(running.map(({ fake }) => fake.close())).then(() => undefined);
  try {
    for (const spec of SPECS) {
      if (opts.only && !opts.only.has(spec.name)) continue;
      let mod: Record<string, unknown>;
      try {
        mod = (await import(spec.module)) as Record<string, unknown>;
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
        skipped.push(spec.name);
        continue;
      }
      const start = mod[spec.start] as (o: Record<string, unknown>) => Promise<RunningFake>;
      const port = opts.anyPort
        ? 0
        : opts.portsFrom !== undefined
          ? opts.portsFrom + running.length + taken.length
          : spec.port;
      const log = opts.log && ((line: string) => opts.log!(spec.name, line));
      try {
        running.push({ spec, fake: await start({ ...spec.fakeOptions(opts.herald), port, log }) });
      } catch (err) {
        if ((err as { code?: string }).code !== 'EADDRINUSE') throw err;
        taken.push(`${port} (${spec.name})`);
      }
    }
    if (taken.length > 0) {
      throw new StartupError(
        `fakes: ${taken.length === 1 ? 'port' : 'ports'} already in use on 127.0.0.1: ${taken.join(', ')}. ` +
          'Is another "herald fakes" running? Stop it, or start these with --any-port.',
      );
    }
  } catch (err) {
    await close();
    throw err;
  }
  const providers = running.map(({ spec, fake }) => spec.provider(fake, opts.herald));
  const routes: Record<string, string[]> = {};
  for (const p of providers) (routes[p.channel as string] ??= []).push(p.name as string);
  return {
    running: running.map(({ spec, fake }) => ({ name: spec.name, url: fake.url })),
    skipped,
    config: { providers, routes },
    close,
  };
}

/** Runs until SIGINT/SIGTERM; answers the exit code. The config goes to stdout, prose to stderr. */
export async function runFakes(argv: string[]): Promise<number> {
  const opts = parseArgs(argv);
  if (!opts) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const say = (text: string) => process.stderr.write(`${text}\n`);
  const fakes = await startFakes({
    ...opts,
    log: (fake, line) => say(`${new Date().toISOString().slice(11, 19)} ${fake.padEnd(9)} ${line}`),
  });
  if (fakes.running.length === 0 && fakes.skipped.length > 0) {
    // The installed package has no test/ (package.json "files"): say so instead of starting nothing.
    throw new StartupError(
      'fakes: the provider fakes are test code that comes with the source, not with the package: ' +
        'run herald fakes in a checkout (npm install, then npx herald fakes)',
    );
  }
  say(
    [
      'Provider fakes listening on 127.0.0.1:',
      ...fakes.running.map(({ name, url }) => `  ${name.padEnd(9)} ${url}`),
      ...(fakes.skipped.length ? [`(not available: ${fakes.skipped.join(', ')})`] : []),
      '',
      `The HERALD_CONFIG for them is on stdout (receipts are posted to ${opts.herald}; change it with --herald <url>).`,
      'Save it (herald fakes > herald.yaml) and start Herald with HERALD_CONFIG=herald.yaml herald serve.',
      'Each message a fake receives is one line here. Ctrl-C stops the fakes.',
      '',
    ].join('\n'),
  );
  process.stdout.write(`# herald fakes: receipts go to ${opts.herald}\n${stringify(fakes.config)}`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await fakes.close();
  return 0;
}
