import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Config } from '../config/config.ts';
import { ManualClock } from '../domain/clock.ts';
import type { Message, NewMessage } from '../domain/message.ts';
import { createMetrics } from '../metrics.ts';
import { StoreUnavailableError } from '../store/faults.ts';
import { openStore } from '../store/open-store.ts';
import type { Store } from '../store/store.ts';
import { KEPT_RETRY_MIN_MS } from './completions.ts';
import type { LaneSettings, RoutedResult, Router } from './router.ts';
import { LANE_IDLE_MS, Worker } from './worker.ts';

/**
 * The worker's timing on a ManualClock: linger, rate limit, polling, shutdown and the retries of
 * kept outcomes move only when the test moves time — no test here sleeps on real time.
 * The store is a real SQLite database (in memory); the router is a recording stand-in for providers.
 */

const T0 = Date.UTC(2026, 0, 1);

const LANE: LaneSettings = {
  concurrency: 10,
  batchSize: 1,
  lingerMs: 0,
  ratePerSec: null,
  timeoutMs: 60_000,
  retry: { scheduleMs: [0, 1000], maxAttempts: 3 },
  breaker: { failureThreshold: 100, cooldownMs: 1000, maxCooldownMs: 1000 },
};

const CONFIG: Config['worker'] = {
  maxInFlight: 100,
  leaseMs: 10_000,
  pollMs: 100,
  shutdownTimeoutMs: 2000,
  retry: LANE.retry,
  breaker: LANE.breaker,
  webhook: { concurrency: 1, timeoutMs: 1000, maxResponseBytes: 1024 },
};

/** Records each call; answers ok at once, or when released (`hold`), or on abort. */
class RecordingRouter implements Router {
  readonly calls: Message[][] = [];
  readonly abortReasons: unknown[] = [];
  hold = false;
  private readonly waiting: (() => void)[] = [];
  private readonly lane: LaneSettings;
  constructor(lane: Partial<LaneSettings> = {}) {
    this.lane = { ...LANE, ...lane };
  }
  settings(lane: string): LaneSettings | undefined {
    return lane.startsWith('fake') ? this.lane : undefined;
  }
  async deliver(_lane: string, batch: readonly Message[], signal: AbortSignal): Promise<RoutedResult[]> {
    this.calls.push([...batch]);
    if (this.hold) {
      const aborted = await new Promise<boolean>((r) => {
        this.waiting.push(() => r(false));
        signal.addEventListener('abort', () => r(true), { once: true });
      });
      if (aborted) this.abortReasons.push(signal.reason);
      if (aborted)
        return batch.map(() => ({
          ok: false,
          retry: 'transient',
          blame: 'provider',
          reason: 'aborted',
          provider: 'fake',
        }));
    }
    return batch.map(() => ({ ok: true, state: 'delivered', provider: 'fake' }));
  }
  release(): void {
    for (const w of this.waiting.splice(0)) w();
  }
  get sent(): number {
    return this.calls.reduce((n, c) => n + c.length, 0);
  }
  async close(): Promise<void> {}
}

const message = (i: number): NewMessage => ({
  channel: 'sms',
  recipient: `+7900000000${i}`,
  text: 'hi',
  priority: 0,
  categories: 0,
  lane: 'fake',
  dueAt: T0,
  maxAttempts: 3,
});

async function setup(
  opts: {
    lane?: Partial<LaneSettings>;
    n?: number;
    store?: (s: Store) => Store;
    lanes?: number;
    config?: Partial<Config['worker']>;
  } = {},
) {
  const real = await openStore({ url: 'sqlite::memory:' });
  await real.migrate();
  await real.messages.insertMany(
    Array.from({ length: opts.n ?? 1 }, (_, i) => ({ ...message(i), lane: opts.lanes ? `fake:${i}` : 'fake' })),
    T0,
  );
  const clock = new ManualClock(T0);
  const router = new RecordingRouter(opts.lane);
  const logs: string[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }));
  const store = opts.store ? opts.store(real) : real;
  const metrics = createMetrics();
  const worker = new Worker({ store, router, clock, logger, metrics, config: { ...CONFIG, ...opts.config } });
  return { real, store, clock, router, worker, logs, metrics };
}

/** Lets promise chains run until `check` holds (no timers: the clock does not move). */
async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail(`never: ${what}`);
}

/**
 * The real repository with `complete` (or `claim`) failing while `down` says so; completeAndClaim
 * does both, so it fails with either.
 */
function flaky(real: Store, what: 'complete' | 'claim', down: { value: boolean; calls: number }): Store {
  const fail = () => Promise.reject(new StoreUnavailableError('full', new Error('database or disk is full')));
  const failing = (name: 'complete' | 'claim' | 'completeAndClaim') => ({
    [name]: (...args: never[]) => {
      down.calls++;
      return down.value ? fail() : (real.messages[name] as (...a: never[]) => Promise<unknown>)(...args);
    },
  });
  const messages = Object.assign(
    Object.create(real.messages) as Store['messages'],
    failing(what),
    failing('completeAndClaim'),
  );
  return { ...real, messages };
}

test('a lane lingers on the clock for a fuller batch, then sends what it has', async () => {
  const { clock, router, worker, real } = await setup({ lane: { batchSize: 10, lingerMs: 1000 }, n: 3 });
  worker.start();
  await until(() => worker.load === 3, 'three claimed');
  await clock.advanceAsync(999);
  assert.equal(router.calls.length, 0, 'still lingering');
  await clock.advanceAsync(1);
  assert.deepEqual(
    router.calls.map((c) => c.length),
    [3],
  );
  await until(async () => (await real.messages.countByState()).delivered === 3, 'delivered');
  await stopAndClose(worker, clock, real);
});

test('a rate limit spaces calls by the clock', async () => {
  const { clock, router, worker, real } = await setup({ lane: { ratePerSec: 2 }, n: 5 });
  worker.start();
  await until(() => router.calls.length === 2, 'the first second of tokens');
  await clock.advanceAsync(499);
  assert.equal(router.calls.length, 2);
  await clock.advanceAsync(1);
  assert.equal(router.calls.length, 3);
  await clock.advanceAsync(1000);
  assert.equal(router.calls.length, 5);
  await stopAndClose(worker, clock, real);
});

test('an idle worker claims again after pollMs on the clock', async () => {
  const { clock, router, worker, real } = await setup({ n: 0 });
  worker.start();
  await clock.advanceAsync(0);
  await real.messages.insertMany([message(1)], T0);
  await clock.advanceAsync(CONFIG.pollMs - 1);
  assert.equal(router.calls.length, 0, 'asleep until the poll interval ends');
  await clock.advanceAsync(1);
  await until(() => router.calls.length === 1, 'the next claim');
  await stopAndClose(worker, clock, real);
});

test('a wake-up that arrives while a claim is in flight is not lost: the worker claims again at once', async () => {
  const gate = { held: false, open: () => {} };
  let release = new Promise<void>((r) => (gate.open = r));
  const { clock, router, worker, real } = await setup({
    n: 0,
    store: (r) => {
      const messages = Object.assign(Object.create(r.messages) as Store['messages'], {
        claim: async (opts: Parameters<Store['messages']['claim']>[0]) => {
          const got = await r.messages.claim(opts);
          gate.held = true;
          await release;
          return got;
        },
      });
      return { ...r, messages };
    },
  });
  worker.start();
  await until(() => gate.held, 'a claim in flight');
  // A message arrives after that claim read the queue; its wake-up comes while the claim is still out.
  await real.messages.insertMany([message(1)], T0);
  worker.wake();
  release = Promise.resolve();
  gate.open();
  // The clock never moves: only the wake-up can bring the next claim, not the poll.
  await until(() => router.calls.length === 1, 'the message claimed without waiting for the poll');
  await stopAndClose(worker, clock, real);
});

test('a claim that fills every lane is not followed by one that could only skip them; room wakes the next', async () => {
  let claims = 0;
  const { clock, router, worker, real } = await setup({
    n: 600,
    config: { maxInFlight: 1000 },
    store: (r) => {
      const messages = Object.assign(Object.create(r.messages) as Store['messages'], {
        claim: (opts: Parameters<Store['messages']['claim']>[0]) => (claims++, r.messages.claim(opts)),
        completeAndClaim: (...a: Parameters<Store['messages']['completeAndClaim']>) => (
          claims++,
          r.messages.completeAndClaim(...a)
        ),
      });
      return { ...r, messages };
    },
  });
  router.hold = true;
  worker.start();
  await until(() => router.calls.length === LANE.concurrency, 'the lane busy');
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(claims, 1, 'a full claim (500) into one lane that is now full: no second claim at once');
  router.hold = false;
  router.release();
  // The clock never moves: only the lane's room wakes the claim that brings the other 100.
  await until(async () => (await real.messages.countByState()).delivered === 600, 'all delivered without a poll');
  await stopAndClose(worker, clock, real);
});

test('a worker holding maxInFlight messages claims again as soon as an outcome is written, not at the next poll', async () => {
  const { clock, worker, real } = await setup({ n: 20, config: { maxInFlight: 10 } });
  worker.start();
  // The clock never moves: the second ten can only come from the wake-up of a written outcome.
  await until(async () => (await real.messages.countByState()).delivered === 20, 'all twenty delivered');
  await stopAndClose(worker, clock, real);
});

test('stop gives calls in flight shutdownTimeoutMs on the clock, then aborts them and hands them back', async () => {
  const { clock, router, worker, real } = await setup({ n: 2 });
  router.hold = true;
  worker.start();
  await until(() => router.calls.length === 2, 'two calls in flight');
  let stopped = false;
  const stopping = worker.stop().then(() => (stopped = true));
  await clock.advanceAsync(CONFIG.shutdownTimeoutMs - 1);
  assert.equal(stopped, false, 'still waiting for the calls');
  await clock.advanceAsync(1);
  await stopping;
  const m = (await real.messages.list({}, 10)).items;
  assert.deepEqual(
    m.map((x) => [x.state, x.attempts]),
    [
      ['queued', 0],
      ['queued', 0],
    ],
    'handed back without spending an attempt',
  );
  await real.close();
});

test('a call that outlasts the lane timeout is aborted on the clock, as a timeout', async () => {
  const { clock, router, worker, real } = await setup({ lane: { timeoutMs: 5000 } });
  router.hold = true;
  worker.start();
  await until(() => router.calls.length === 1, 'the call in flight');
  await clock.advanceAsync(4999);
  assert.equal(router.abortReasons.length, 0);
  await clock.advanceAsync(1);
  await until(() => router.abortReasons.length === 1, 'the abort');
  assert.equal((router.abortReasons[0] as Error).name, 'TimeoutError');
  await until(async () => (await real.messages.countByState()).queued === 1, 'back in the queue for a retry');
  await stopAndClose(worker, clock, real);
});

test('outcomes the store cannot take are kept, and written when it can; their leases are not reaped meanwhile', async () => {
  const down = { value: true, calls: 0 };
  const { clock, router, worker, real, logs } = await setup({ store: (s) => flaky(s, 'complete', down) });
  worker.start();
  await until(() => router.calls.length === 1 && down.calls >= 1, 'delivered, outcome refused');
  assert.ok(logs.some((l) => l.includes('SQLITE_FULL') || l.includes('disk is full')));
  // Longer than the lease: the message was sent, so it must not go back to the queue.
  await clock.advanceAsync(CONFIG.leaseMs * 2);
  assert.equal(worker.load, 1, 'still in hand');
  assert.deepEqual(await real.messages.countByState(), { sending: 1 });
  down.value = false;
  await clock.advanceAsync(5000);
  await until(async () => (await real.messages.countByState()).delivered === 1, 'the kept outcome written');
  assert.equal(worker.load, 0);
  assert.equal(router.calls.length, 1, 'sent once');
  await stopAndClose(worker, clock, real);
});

test('kept outcomes are retried with backoff, not in a tight loop', async () => {
  const down = { value: true, calls: 0 };
  const { clock, worker, real } = await setup({ store: (s) => flaky(s, 'complete', down) });
  worker.start();
  await until(() => down.calls >= 1, 'the first refusal');
  await clock.advanceAsync(10_000);
  // 100 ms doubling to 5 s: 100+200+400+800+1600+3200 < 10 s, then 5 s steps.
  assert.ok(down.calls >= 5 && down.calls <= 9, `${down.calls} attempts in 10 s`);
  assert.ok(KEPT_RETRY_MIN_MS > 0);
  down.value = false;
  await stopAndClose(worker, clock, real);
});

test('at shutdown kept outcomes get one more shutdown timeout, then are given up in the log', async () => {
  const down = { value: true, calls: 0 };
  const { clock, worker, real, logs } = await setup({ store: (s) => flaky(s, 'complete', down) });
  worker.start();
  await until(() => down.calls >= 1, 'the first refusal');
  let stopped = false;
  const stopping = worker.stop().then(() => (stopped = true));
  await clock.advanceAsync(CONFIG.shutdownTimeoutMs - 1);
  assert.equal(stopped, false);
  await clock.advanceAsync(1000);
  await stopping;
  assert.ok(
    logs.some((l) => l.includes('never took')),
    'given up, and said so',
  );
  await real.close();
});

test('claims back off while the store is unavailable', async () => {
  const down = { value: true, calls: 0 };
  const { clock, worker, real } = await setup({ store: (s) => flaky(s, 'claim', down) });
  worker.start();
  await until(() => down.calls >= 1, 'the first claim');
  await clock.advanceAsync(10_000);
  // pollMs 100 doubling to 5 s: about 7 claims in 10 s instead of 100.
  assert.ok(down.calls >= 3 && down.calls <= 10, `${down.calls} claims in 10 s`);
  down.value = false;
  await stopAndClose(worker, clock, real);
});

test('lanes (one per webhook origin) and their metric series are dropped once idle', async () => {
  const { clock, router, worker, real, metrics } = await setup({ n: 50, lanes: 50 });
  const series = () => metrics.lanes.snapshot().size;
  worker.start();
  await until(async () => (await real.messages.countByState()).delivered === 50, 'fifty lanes served');
  assert.equal(router.calls.length, 50);
  assert.equal(worker.laneCount, 50);
  assert.equal(series(), 50);
  await clock.advanceAsync(LANE_IDLE_MS - 1000);
  assert.equal(worker.laneCount, 50, 'kept while recently used');
  await clock.advanceAsync(2000);
  assert.equal(worker.laneCount, 0);
  assert.equal(series(), 0);
  await stopAndClose(worker, clock, real);
});

async function stopAndClose(worker: Worker, clock: ManualClock, store: Store): Promise<void> {
  const stopping = worker.stop();
  await clock.advanceAsync(CONFIG.shutdownTimeoutMs * 2);
  await stopping;
  await store.close();
}
