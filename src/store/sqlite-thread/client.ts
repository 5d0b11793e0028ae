import { Worker } from 'node:worker_threads';
import { StoreUnavailableError } from '../faults.ts';
import { NewerDatabaseError } from '../migrator.ts';
import type { ErrorData, Reply, Request, ThreadOptions } from './protocol.ts';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type Call = DistributiveOmit<Request, 'id'>;

type Waiter = { resolve: (v: unknown) => void; reject: (e: unknown) => void };

// The thread's source sits beside this file: thread.ts in a checkout (types stripped), thread.js in dist/.
const THREAD_URL = new URL(`./thread${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/*
 * SqliteThread — the event loop's side of one SQLite thread (thread.ts). call() posts a request
 * and resolves with the reply; the thread answers one request at a time, in order.
 *
 * The thread keeps the process alive only while a call is waiting (a store nobody closes does not
 * hold a finished process open). When the thread dies (a crash, an out-of-memory kill of the
 * thread), every waiting call fails with StoreUnavailableError('io') — none hangs — and, for a
 * database file, the next call starts a fresh thread on the same file. An in-memory database dies
 * with its thread: later calls fail. `generation` counts the threads started, so that a
 * transaction begun on one thread is never continued on the next (see driver.ts).
 */
export class SqliteThread {
  private readonly opts: ThreadOptions;
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;
  private closed = false;
  private deadError: Error | undefined;
  generation = 0;

  private constructor(opts: ThreadOptions) {
    this.opts = opts;
  }

  /** Starts the thread and waits until its database is open (an error opening it is thrown here). */
  static async start(opts: ThreadOptions): Promise<SqliteThread> {
    const t = new SqliteThread(opts);
    await t.spawn();
    return t;
  }

  private get inMemory(): boolean {
    return this.opts.path === ':memory:' || this.opts.path === '';
  }

  private spawn(): Promise<void> {
    this.generation++;
    this.deadError = undefined;
    const worker = new Worker(THREAD_URL, { workerData: this.opts });
    this.worker = worker;
    let opened!: (err?: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      opened = (err) => (err ? reject(err) : resolve());
    });
    worker.on('message', (reply: Reply) => {
      if ('ready' in reply) {
        // Held open while starting (someone awaits it); from now on only while calls wait.
        if (this.waiting.size === 0) worker.unref();
        opened(reply.error ? errorFromData(reply.error) : undefined);
        return;
      }
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if (reply.ok) w.resolve(reply.value);
      else w.reject(errorFromData(reply.error));
    });
    let crash: Error | undefined;
    worker.on('error', (err) => (crash = err));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const cause = crash ?? new Error(`the SQLite thread exited (code ${code})`);
      const err = new StoreUnavailableError('io', cause);
      opened(err);
      if (!this.closed) this.deadError = err;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    });
    return ready;
  }

  /**
   * Posts one request and resolves with its reply. With `generation`, fails instead of reaching
   * a thread other than that one (a transaction's connection died with its thread).
   */
  call<T>(req: Call, generation?: number): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the store is closed'));
    if (!this.worker) {
      if (this.inMemory || generation !== undefined) {
        return Promise.reject(
          this.deadError ?? new StoreUnavailableError('io', new Error('the SQLite thread is gone')),
        );
      }
      void this.spawn().catch(() => undefined); // an error opening fails the calls posted below
    } else if (generation !== undefined && generation !== this.generation) {
      return Promise.reject(new StoreUnavailableError('io', new Error('the SQLite thread restarted mid-transaction')));
    }
    const worker = this.worker!;
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...req, id });
    });
  }

  /** Ends the thread at once, as a crash would: the waiting calls fail. (Tests; a thread that must go now.) */
  async terminate(): Promise<void> {
    await this.worker?.terminate();
  }

  /** Closes the database (after the requests already posted) and waits for the thread to end. */
  async close(): Promise<void> {
    if (this.closed) return;
    const worker = this.worker;
    if (!worker) {
      this.closed = true;
      return;
    }
    const exited = new Promise((r) => worker.once('exit', r));
    try {
      await this.call({ op: 'close' });
    } finally {
      this.closed = true;
      worker.ref(); // held open until it has ended
      await exited;
    }
  }
}

/** Rebuilds a thread's error on the event loop's side, with its codes as own properties (as node:sqlite has them). */
export function errorFromData(d: ErrorData): Error {
  // The errors of our own that callers tell apart by class.
  const e = (d.name === 'NewerDatabaseError' ? new NewerDatabaseError(0) : new Error()) as Error & {
    code?: string;
    errcode?: number;
    errstr?: string;
  };
  e.message = d.message;
  if (d.name !== 'Error') e.name = d.name;
  if (d.code !== undefined) e.code = d.code;
  if (d.errcode !== undefined) e.errcode = d.errcode;
  if (d.errstr !== undefined) e.errstr = d.errstr;
  return e;
}
