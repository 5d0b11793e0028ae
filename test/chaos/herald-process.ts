import { startCli, closedPort, type CliRun } from '../helpers/cli.ts';

/**
 * One real Herald process (`herald serve | api | worker`, bin/herald.js on this Node) on a port
 * chosen once, so that a restart after a SIGKILL comes back at the same address. Readiness is its
 * `/healthz` answering (the log stays at `warn`, so deliveries are not logged line by line).
 * A process that exits without being told to is counted in `crashes`: that is a defect.
 */
export class HeraldProcess {
  readonly name: string;
  readonly role: 'serve' | 'api' | 'worker';
  private readonly env: Record<string, string>;
  port = 0;
  private run: CliRun | undefined;
  private expectExit = false;
  /** Unexpected exits, each with the end of its output. */
  readonly crashes: string[] = [];
  /** Output of earlier runs (last 20 kB each), for a failure message. */
  private readonly past: string[] = [];

  constructor(name: string, role: 'serve' | 'api' | 'worker', env: Record<string, string>) {
    this.name = name;
    this.role = role;
    this.env = env;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.run?.child.pid;
  }

  async start(timeoutMs = 180_000): Promise<void> {
    if (this.port === 0) this.port = await closedPort();
    const portVar = this.role === 'worker' ? 'HERALD_METRICS_PORT' : 'PORT';
    const run = startCli([this.role], { HOST: '127.0.0.1', ...this.env, [portVar]: String(this.port) });
    this.run = run;
    this.expectExit = false;
    void run.exited.then((code) => {
      this.past.push(`--- ${this.name} exited ${code}\n${(run.stdout() + run.stderr()).slice(-20_000)}`);
      if (!this.expectExit && this.run === run)
        this.crashes.push(`${this.name} exited ${code}: ${run.stderr().slice(-2000)}`);
    });
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (run.child.exitCode !== null) throw new Error(`${this.name} exited at start: ${run.stderr()}`);
      try {
        const r = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(1000) });
        await r.arrayBuffer();
        if (r.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > end) throw new Error(`${this.name} not healthy after ${timeoutMs} ms: ${run.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends `signal` and waits for the exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    const run = this.run;
    if (!run || run.child.exitCode !== null || run.child.signalCode !== null) return null;
    this.expectExit = true;
    run.child.kill(signal);
    return run.exited;
  }

  /** SIGTERM and wait (a graceful stop). */
  stop(): Promise<number | null> {
    return this.kill('SIGTERM');
  }

  running(): boolean {
    return !!this.run && this.run.child.exitCode === null && this.run.child.signalCode === null;
  }

  /** Output of the current and earlier runs. */
  output(): string {
    const now = this.run ? (this.run.stdout() + this.run.stderr()).slice(-20_000) : '';
    return [...this.past, now].join('\n');
  }
}
