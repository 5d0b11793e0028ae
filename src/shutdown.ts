import type { Logger } from 'pino';
import { coerceError } from './errors/app-error.ts';

/** One step of a shutdown: a name for the log, and what to do. */
export type ShutdownStep = readonly [name: string, run: () => unknown];

/**
 * Runs every step in order, each after the previous one settled, even when one throws: a failed
 * step must not leave the HTTP agent or the database open. Each failure is logged; afterwards
 * they are thrown together (AggregateError) so that the caller can exit non-zero.
 */
export async function runShutdown(steps: readonly ShutdownStep[], logger?: Logger): Promise<void> {
  const errors: Error[] = [];
  for (const [name, run] of steps) {
    try {
      await run();
    } catch (err) {
      const e = coerceError(err);
      logger?.error({ err: e, step: name }, 'shutdown step failed; carrying on with the rest');
      errors.push(new Error(`${name}: ${e.message}`, { cause: e }));
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, `shutdown: ${errors.map((e) => e.message).join('; ')}`);
}
