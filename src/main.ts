import { loadConfig, type Config } from './config/config.ts';
import { createRuntime, type Role, type Runtime } from './runtime.ts';
import { openStore } from './store/open-store.ts';
import { framedKeyNotice, listenError, providersInForce, StartupError, startupErrorLines } from './cli/startup.ts';

/**
 * `herald <command>`: the only place that listens, handles signals and exits. A problem before
 * Herald runs is one plain line per problem on stderr and exit code 2 (src/cli/startup.ts).
 */
const HELP = `herald — self-hosted message delivery

Usage: herald <command>

Commands:
  serve     API, delivery workers and scheduler in one process (what \`npm start\` runs)
  api       the HTTP API only
  worker    the delivery workers only
  migrate   apply database migrations and exit
  keys      create, list and revoke API keys in the database (herald keys help)
  fakes     start local fakes of every provider and print a matching HERALD_CONFIG (development;
            herald fakes --help)
  help      this text

Configuration comes from environment variables (docs/configuration.md), e.g.
  PORT=3000 HOST=0.0.0.0 DATABASE_URL=sqlite:./data/herald.db HERALD_API_KEY=…
and, for providers, the YAML/JSON file named by HERALD_CONFIG.
Exit codes: 0 done, 1 an unclean shutdown, 2 Herald could not start (the reason is on stderr).`;

const ROLES: Record<string, Role[]> = { serve: ['api', 'worker'], api: ['api'], worker: ['worker'] };

/** The config, once loaded: start-up errors name its database without the password. */
let loaded: Readonly<Config> | undefined;

async function main(argv: string[]): Promise<number> {
  const command = argv[0] ?? 'help';
  if (command === 'help' || command === '--help' || command === '-h') {
    console.log(HELP);
    return 0;
  }
  if (command === 'fakes') {
    // Loaded only when asked: the fakes live under test/ and use devDependencies.
    const { runFakes } = await import('./cli/fakes.ts');
    return runFakes(argv.slice(1));
  }
  if (command === 'keys') {
    const { runKeys } = await import('./cli/keys.ts');
    return runKeys(argv.slice(1));
  }
  if (command !== 'migrate' && !ROLES[command]) {
    throw new StartupError(`unknown command "${command}" (herald help lists them)`);
  }
  const config = (loaded = loadConfig());
  if (command === 'migrate') {
    const store = await openStore({ url: config.databaseUrl });
    const s = await store.migrate().finally(() => store.close());
    console.log(`database schema at version ${s.current} (latest ${s.latest})`);
    return 0;
  }
  const rt = await createRuntime(config, { roles: ROLES[command]! });
  try {
    await start(rt, config);
  } catch (err) {
    await rt.stop().catch(() => undefined);
    throw err;
  }
  return -1; // keep running
}

/** Announces what is in force, listens, then starts the workers; signals stop it gracefully. */
async function start(rt: Runtime, config: Readonly<Config>): Promise<void> {
  const inForce = providersInForce(rt.providers.set, config);
  rt.logger.info(inForce.fields, inForce.msg);
  if (rt.generatedKey) {
    // Once, on stderr and framed, never into the JSON log (which is shipped and kept).
    process.stderr.write(framedKeyNotice(rt.generatedKey));
    rt.logger.warn('generated the first API key: it was printed once on stderr, not in this log');
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    rt.logger.info({ signal }, 'shutting down: no new work, finishing what is in flight');
    rt.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        rt.logger.error({ err }, 'unclean shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (rt.app) {
    const address = await rt.app
      .listen({ port: config.port, host: config.host })
      .catch((err: unknown) => Promise.reject(listenError(err, 'PORT', config.host, config.port)));
    rt.logger.info({ address, docs: `${address}/docs` }, 'Herald API listening');
  }
  if (rt.opsApp) {
    const port = config.metricsPort ?? config.port;
    const address = await rt.opsApp
      .listen({ port, host: config.host })
      .catch((err: unknown) =>
        Promise.reject(
          listenError(err, config.metricsPort === undefined ? 'PORT' : 'HERALD_METRICS_PORT', config.host, port),
        ),
      );
    rt.logger.info({ address }, 'worker metrics and health listening (/metrics, /healthz, /readyz)');
  }
  if (rt.rpcApp && config.rpcPort) {
    // Postmaster's JSON-RPC port (seed 001): keep it off the public network.
    const port = config.rpcPort;
    const address = await rt.rpcApp
      .listen({ port, host: config.host })
      .catch((err: unknown) => Promise.reject(listenError(err, 'HERALD_RPC_PORT', config.host, port)));
    rt.logger.info({ address }, 'JSON-RPC listening (postmaster compatibility)');
  }
  rt.worker?.start();
  rt.events?.start();
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    for (const line of startupErrorLines(err, loaded?.databaseUrl)) process.stderr.write(`${line}\n`);
    if (loaded?.logLevel === 'debug' || loaded?.logLevel === 'trace') console.error(err);
    process.exit(2);
  },
);
