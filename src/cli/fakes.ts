import { stringify } from 'yaml';

/**
 * `herald fakes`: starts local fakes of every provider on 127.0.0.1 (the same servers the tests
 * use, from test/fakes/) and prints a HERALD_CONFIG that points Herald at them, so a person can
 * try each provider on one machine. Development only: the fakes import devDependencies
 * (smtp-server), so this command needs `npm install` with dev dependencies.
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

interface FakesOptions {
  /** Herald's base URL, where the fakes post receipts. */
  herald: string;
  /** Start only these (provider names of the sample config). */
  only?: Set<string> | undefined;
  /** Free ports instead of the fixed ones (tests; a busy machine). */
  anyPort?: boolean;
}

function parseArgs(argv: string[]): FakesOptions {
  const o: FakesOptions = { herald: 'http://127.0.0.1:3000' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--herald') o.herald = argv[++i] ?? o.herald;
    else if (a === '--only') o.only = new Set((argv[++i] ?? '').split(',').filter(Boolean));
    else if (a === '--any-port') o.anyPort = true;
    else throw new Error(`herald fakes: unknown argument ${a} (use --herald <url>, --only mail,probe,…, --any-port)`);
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

/** Starts what exists of the fakes; a fake whose module is missing is skipped, any other failure throws. */
export async function startFakes(opts: FakesOptions): Promise<RunningFakes> {
  const running: { spec: FakeSpec; fake: RunningFake }[] = [];
  const skipped: string[] = [];
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
      const port = opts.anyPort ? 0 : spec.port;
      const fake = await start({ ...spec.fakeOptions(opts.herald), port }).catch((err: unknown) => {
        throw new Error(
          `herald fakes: cannot start the ${spec.name} fake on port ${port} (${String(err)}); try --any-port`,
        );
      });
      running.push({ spec, fake });
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

/** Runs until SIGINT/SIGTERM; answers the exit code. */
export async function runFakes(argv: string[]): Promise<number> {
  const opts = parseArgs(argv);
  const fakes = await startFakes(opts);
  process.stdout.write(
    [
      'Provider fakes listening on 127.0.0.1:',
      ...fakes.running.map(({ name, url }) => `  ${name.padEnd(9)} ${url}`),
      ...(fakes.skipped.length ? [`(not available: ${fakes.skipped.join(', ')})`] : []),
      '',
      'Save this as herald.yaml and start Herald with HERALD_CONFIG=herald.yaml npm start',
      `(receipts are posted to ${opts.herald}; change it with --herald <url>):`,
      '',
      stringify(fakes.config),
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await fakes.close();
  return 0;
}
