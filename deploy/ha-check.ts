/**
 * The high-availability layout of deploy/compose.yaml, checked under failure on this machine
 * (issue 12, item 4): a private PostgreSQL cluster (initdb + pg_ctl in a temp dir, on a random
 * port: never a server of yours), `herald migrate`, 2 × `herald api` behind a round-robin proxy,
 * 2 × `herald worker`, a steady stream of webhook messages to a sink on 127.0.0.1, and meanwhile:
 * SIGKILL of an API process, SIGKILL of the worker that leads the campaign scheduler, a PostgreSQL
 * restart. Prints what was accepted, delivered, lost and duplicated, how long each recovery took,
 * and who led the scheduler; with --write, puts the figures into docs/deploy.md.
 *
 * Runs from a checkout (it uses the test helpers), with the pinned Node (`npm run ha-check` is
 * `node_modules/.bin/node deploy/ha-check.ts`):
 *   npm run ha-check                                         2 minutes at 100 msg/s
 *   npm run ha-check -- --seconds 60 --rate 50 --lease-ms 10000
 *   npm run ha-check -- --write                              also rewrite docs/deploy.md's figures
 * Needs the PostgreSQL server binaries (/usr/lib/postgresql/<v>/bin); as root it runs the cluster
 * as the `postgres` user. Exits 1 when an accepted message was lost, a Herald process died by
 * itself, or the scheduler had no leader after a fault.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { haMarkdown, runHaCheck, type HaOptions } from '../test/helpers/ha-layout.ts';
import { pgClusterUnavailable } from '../test/helpers/pg-cluster.ts';

const { values: a } = parseArgs({
  options: {
    seconds: { type: 'string', default: '120' },
    rate: { type: 'string', default: '100' },
    'lease-ms': { type: 'string', default: '60000' },
    'pg-down-ms': { type: 'string', default: '3000' },
    'restart-after-ms': { type: 'string', default: '1000' },
    write: { type: 'boolean', default: false },
  },
});
const seconds = Number(a.seconds);
if (!(seconds >= 20)) {
  console.error('ha-check: --seconds must be at least 20');
  process.exit(2);
}
const why = pgClusterUnavailable();
if (why) {
  console.error(`ha-check: cannot start a private PostgreSQL cluster here: ${why}`);
  process.exit(2);
}
const at = (f: number) => Math.round(seconds * f);
const options: HaOptions = {
  rate: Number(a.rate),
  loadSeconds: seconds,
  faults: [
    { at: at(0.15), kind: 'kill-api' },
    { at: at(0.35), kind: 'kill-worker' },
    { at: at(0.6), kind: 'restart-postgres' },
  ],
  restartAfterMs: Number(a['restart-after-ms']),
  pgDownMs: Number(a['pg-down-ms']),
  leaseMs: Number(a['lease-ms']),
  // Long enough for a killed worker's leases to run out, and then some.
  drainTimeoutMs: Number(a['lease-ms']) + 120_000,
  log: (l) => console.error(`ha-check: ${l}`),
};
const command = ['npm run ha-check', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
const started = new Date();
const load0 = loadavg()[0]!;
const ac = new AbortController();
// Ctrl-C: stop what the check started (processes, proxy, the cluster) before exiting.
process.once('SIGINT', () => ac.abort());
process.once('SIGTERM', () => ac.abort());
const r = await runHaCheck({ ...options, signal: ac.signal });
const table = haMarkdown(r, options);
console.log(table);

const leaderless = r.faults.filter((f) => !Number.isFinite(f.leaderRecoveredMs));
const failed = r.lost > 0 || r.unexpectedExits.length > 0 || leaderless.length > 0;
for (const e of r.unexpectedExits)
  console.error(`ha-check: ${e.name} exited by itself (${e.code ?? e.signal}):\n${e.tail}`);

if (a.write) {
  const path = join(import.meta.dirname, '..', 'docs', 'deploy.md');
  const doc = readFileSync(path, 'utf8');
  const re = /<!-- ha:start -->[\s\S]*?<!-- ha:end -->/;
  if (!re.test(doc)) throw new Error(`${path} has no ha markers`);
  const block = [
    '<!-- ha:start -->',
    '### The layout under failure, measured',
    '',
    'The layout above, run as processes on one machine by `deploy/ha-check.ts`: 2 × `herald api` behind',
    'a small round-robin proxy (like `compose/haproxy.cfg`: it leaves out an API process after two',
    'failed `/readyz` checks and sends a connection that cannot reach one to the other) and',
    `2 × \`herald worker\`, on one private PostgreSQL ${r.postgres} cluster. A client sends ${options.rate}`,
    `webhook messages a second for ${seconds} s through the proxy, each with an \`Idempotency-Key\` and`,
    'retried every 250 ms when it gets no answer or a 5xx (given up 30 s after its first failure); they',
    'are delivered to an HTTP sink on 127.0.0.1. Meanwhile',
    'one API process is killed (SIGKILL), then the worker that leads the campaign scheduler, then',
    `PostgreSQL is restarted (\`pg_ctl stop -m fast\`, ${options.pgDownMs} ms down, start). A killed process is`,
    `started again ${options.restartAfterMs} ms later (compose's \`restart: always\`). Workers run with`,
    `\`HERALD_LEASE_MS=${options.leaseMs}\`.`,
    '',
    `Command: \`${command}\`, ${started.toISOString().replace(/\.\d+Z$/, 'Z')}, on a shared 2-core machine`,
    `(load average ${load0.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} from other work: process starts and recovery times are`,
    'longer than on a quiet machine).',
    '',
    table,
    '',
    'How to read it: a message counts as accepted when Herald answered 202; lost ones are accepted and',
    'never delivered (must be 0). Duplicates are the at-least-once cost of killing a worker mid-delivery:',
    'a message it sent but had not recorded as sent is sent again once its lease runs out, and the',
    "messages it held undelivered wait for that too (up to `HERALD_LEASE_MS`: the worker kill's",
    '"every earlier message delivered after"; 0 when it held none at that moment). Ingest',
    'is disrupted while the proxy still sends connections to the dead API process (until its health',
    'checks fail) and while PostgreSQL is down (503 `HERALD_UNAVAILABLE`, retried by the client). The',
    "scheduler's leader is read from PostgreSQL's lock table (`pg_locks`: the leader holds a session",
    'advisory lock), its session matched to a process by its socket; PostgreSQL never grants that lock',
    'to two sessions, and the figures show how long the scheduler had no leader. The short version of',
    'this run is `test/deploy/ha.test.ts`, in `npm test`.',
    '<!-- ha:end -->',
  ].join('\n');
  writeFileSync(path, doc.replace(re, block));
  console.error(`ha-check: wrote ${path}`);
}
process.exit(failed ? 1 : 0);
