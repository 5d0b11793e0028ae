import type { Logger } from 'pino';
import pino from 'pino';
import { loadConfig, type Config } from '../../src/config/config.ts';
import type { Clock } from '../../src/domain/clock.ts';
import { createRuntime, type Role, type Runtime } from '../../src/runtime.ts';
import { coerceError } from '../../src/errors/app-error.ts';
import { freshUrl, type Backend } from './stores.ts';

export const TEST_KEY = 'hk_test_key_0123456789abcdef';

export interface TestHerald {
  rt: Runtime;
  config: Config;
  /** Authorization headers for the test key. */
  auth: { authorization: string };
  /** Base URL when started with listen: true. */
  url: string;
  /** PostgreSQL: the test's schema (its connections are named `herald:<schema>`). */
  schema: string | undefined;
  inject: NonNullable<Runtime['app']>['inject'];
  stop(): Promise<void>;
}

export interface StartOptions {
  backend?: Backend;
  /** Extra environment (HERALD_CONFIG, HERALD_RETRY_SCHEDULE, …). */
  env?: Record<string, string>;
  roles?: Role[];
  /** Start the worker loop (default: when the worker role is present). */
  startWorker?: boolean;
  /** Listen on 127.0.0.1 on a free port. */
  listen?: boolean;
  clock?: Clock;
  logger?: Logger;
}

/**
 * Starts Herald in this process on a fresh database (a new SQLite file or PostgreSQL schema),
 * with the test API key and private networks allowed (test servers live on 127.0.0.1).
 */
export async function startHerald(opts: StartOptions = {}): Promise<TestHerald> {
  const where = freshUrl(opts.backend ?? 'sqlite');
  const config = loadConfig({
    DATABASE_URL: where.url,
    HERALD_API_KEY: TEST_KEY,
    HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
    HERALD_POLL_MS: '20',
    LOG_LEVEL: 'silent',
    ...opts.env,
  });
  const rt = await createRuntime(config, {
    roles: opts.roles ?? ['api', 'worker'],
    schema: where.schema,
    clock: opts.clock,
    logger: opts.logger ?? pino({ level: process.env.HERALD_TEST_LOG ?? 'silent' }),
    processMetrics: false,
  });
  if (opts.startWorker ?? rt.worker) {
    rt.worker?.start();
    rt.events?.start();
  }
  let url = '';
  if (opts.listen && rt.app) url = await rt.app.listen({ port: 0, host: '127.0.0.1' });
  const app = rt.app;
  return {
    rt,
    config,
    auth: { authorization: `Bearer ${TEST_KEY}` },
    url,
    schema: where.schema,
    inject: (app ? app.inject.bind(app) : () => Promise.reject(new Error('no api role'))) as TestHerald['inject'],
    stop: () => rt.stop(),
  };
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${last ? `: ${coerceError(last).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
