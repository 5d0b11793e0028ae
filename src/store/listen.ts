import pg from 'pg';
import { coerceError } from '../errors/app-error.ts';

/** The NOTIFY channel; the payload is the schema whose messages changed, so installs in other schemas ignore it. */
export const WAKE_CHANNEL = 'herald_messages';

export interface ListenOptions {
  /** Client settings: connection string, search_path, application_name. */
  client: pg.ClientConfig;
  /** Called on each NOTIFY for this schema, and once after every reconnect (wake-ups may have been missed). */
  onWake: () => void;
  /** Connection problems, for the log; never thrown. */
  onError?: ((err: Error) => void) | undefined;
  /** Backoff between reconnect attempts: starts at minMs, doubles up to maxMs, and never gives up. */
  minMs?: number;
  maxMs?: number;
}

/**
 * LISTEN on a dedicated connection that comes back after an outage of any length: every drop
 * (error or end) schedules a reconnect with capped exponential backoff until one succeeds.
 * Returns a function that stops listening and closes the connection.
 */
export async function listenForWakeups(opts: ListenOptions): Promise<() => Promise<void>> {
  const minMs = opts.minMs ?? 250;
  const maxMs = opts.maxMs ?? 10_000;
  let client: pg.Client | null = null;
  let stopped = false;
  let delay = minMs;
  let timer: NodeJS.Timeout | undefined;

  const retry = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect().then(
        () => opts.onWake(),
        () => undefined,
      );
    }, delay);
    timer.unref();
    delay = Math.min(delay * 2, maxMs);
  };

  const connect = async (): Promise<void> => {
    const c = new pg.Client(opts.client);
    let dropped = false;
    const drop = (err?: Error) => {
      if (dropped) return;
      dropped = true;
      if (client === c) client = null;
      if (err && !stopped) opts.onError?.(err);
      void c.end().catch(() => undefined);
      retry();
    };
    c.on('error', drop);
    c.on('end', () => drop(stopped ? undefined : new Error('LISTEN connection ended')));
    try {
      await c.connect();
      const { rows } = await c.query<{ schema: string }>('SELECT current_schema() AS schema');
      const schema = rows[0]?.schema;
      c.on('notification', (n) => {
        if (n.payload === schema) opts.onWake();
      });
      await c.query(`LISTEN ${WAKE_CHANNEL}`);
    } catch (err) {
      drop(coerceError(err));
      throw err;
    }
    if (stopped) return void (await c.end().catch(() => undefined));
    client = c;
    delay = minMs;
  };

  // A first connection that fails is retried like any other drop: the caller need not start again.
  await connect().catch(() => undefined);
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await client?.end().catch(() => undefined);
  };
}
