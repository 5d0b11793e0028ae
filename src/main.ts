import { ConfigError, loadConfig } from './config/config.ts';
import { NewerDatabaseError } from './store/migrator.ts';
import { createRuntime, type Role } from './runtime.ts';
import { openStore } from './store/open-store.ts';

/**
 * `herald <command>`: the only place that listens, handles signals and exits.
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
            docs/providers/README.md)
  help      this text

Configuration comes from environment variables (docs/configuration.md), e.g.
  PORT=3000 HOST=0.0.0.0 DATABASE_URL=sqlite:./data/herald.db HERALD_API_KEY=…
and, for providers, the YAML/JSON file named by HERALD_CONFIG.`;

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
  const roles: Record<string, Role[]> = { serve: ['api', 'worker'], api: ['api'], worker: ['worker'] };
  if (command !== 'migrate' && !roles[command]) {
    console.error(`herald: unknown command "${command}"\n\n${HELP}`);
    return 2;
  }
  const config = loadConfig();
  if (command === 'migrate') {
    const store = await openStore({ url: config.databaseUrl });
    const s = await store.migrate();
    await store.close();
    console.log(`database schema at version ${s.current} (latest ${s.latest})`);
    return 0;
  }
  const rt = await createRuntime(config, { roles: roles[command]! });
  if (rt.generatedKey) {
    // Printed once, never stored in clear: the hash is all the database keeps.
    process.stdout.write(
      `\n  Herald generated its first API key (shown only this once):\n\n    ${rt.generatedKey}\n\n  Use it as: Authorization: Bearer ${rt.generatedKey}\n\n`,
    );
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
  rt.worker?.start();
  if (rt.app) {
    const address = await rt.app.listen({ port: config.port, host: config.host });
    rt.logger.info({ address, docs: `${address}/docs` }, 'Herald API listening');
  }
  if (rt.opsApp) {
    const address = await rt.opsApp.listen({ port: config.metricsPort ?? config.port, host: config.host });
    rt.logger.info({ address }, 'worker metrics and health listening (/metrics, /healthz, /readyz)');
  }
  if (rt.rpcApp && config.rpcPort) {
    // Postmaster's JSON-RPC port (seed 001): keep it off the public network.
    const address = await rt.rpcApp.listen({ port: config.rpcPort, host: config.host });
    rt.logger.info({ address }, 'JSON-RPC listening (postmaster compatibility)');
  }
  return -1; // keep running
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof ConfigError || err instanceof NewerDatabaseError) console.error(`herald: ${err.message}`);
    else console.error('herald: failed to start:', err);
    process.exit(1);
  },
);
