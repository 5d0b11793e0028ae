/**
 * `npm run bench:soak`: does Herald's memory level off under steady load (issue 9)? `herald serve`
 * on a fresh SQLite file takes a steady stream of single webhook messages (POST /v1/messages,
 * default 1,000 msg/s) and delivers them to a keep-alive sink on 127.0.0.1 (bench/servers.ts sink),
 * for a fixed time (default 10 minutes). Every 10 s it samples, from outside the process: RSS from
 * /proc/<pid>/status, and V8's heap from Herald's own /metrics (prom-client's default process
 * metrics, read with the API key: nothing is added to Herald for this). Then it drains, writes the
 * samples to bench/soak.json, plots them to docs/soak.svg, and rewrites the `soak` section of
 * docs/benchmarks.md (the renderer of `npm run bench` keeps it).
 *
 *   npm run bench:soak                                   10 minutes at 1,000 msg/s
 *   npm run bench:soak -- --minutes 2 --rate 500         shorter, slower
 *   npm run bench:soak -- --snapshots /tmp/snaps         also heap snapshots after minute 1 and at the end
 *   npm run bench:soak -- --no-write                     print only
 *
 *   npm run bench:soak -- --render                      re-render the docs from bench/soak.json
 *
 * Bounded: the load stops at the set time, the drain after 120 s whatever happens.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { machineFacts } from './lib/machine.ts';
import type { MachineFacts } from './lib/results.ts';
import { linesSvg } from './lib/plot.ts';
import { answers, freePort, sleep, startNode } from './lib/proc.ts';
import { HERALD, KEY, IN_FLIGHT, sinkStats, startServer } from './lib/subjects.ts';
import { HERALD_NODE_FLAGS } from '../src/node-flags.ts';
import { DOC_PATH } from './lib/report.ts';

const ROOT = join(import.meta.dirname, '..');
const SVG_PATH = join(ROOT, 'docs', 'soak.svg');
const JSON_PATH = join(ROOT, 'bench', 'soak.json');

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: process.env.SOAK_MINUTES ?? '10' },
    rate: { type: 'string', default: process.env.SOAK_RATE ?? '1000' },
    every: { type: 'string', default: '10' },
    snapshots: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    render: { type: 'boolean', default: false },
  },
});
/** Requests the client keeps in flight at most. */
const MAX_IN_FLIGHT = 256;
if (args.render) {
  // Re-render the docs from the last run's bench/soak.json; measures nothing.
  const { summary, samples } = JSON.parse(readFileSync(JSON_PATH, 'utf8')) as { summary: Summary; samples: Sample[] };
  render(summary, samples, true);
  process.exit(0);
}
const minutes = Number(args.minutes);
const rate = Number(args.rate);
const everyS = Number(args.every);
if (!(minutes > 0 && rate > 0 && everyS > 0)) {
  console.error('soak: --minutes, --rate and --every must be positive numbers');
  process.exit(2);
}
const write = !args['no-write'];
const command = ['npm run bench:soak', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');

export interface Sample {
  /** Seconds since the load started. */
  t: number;
  rssMb: number;
  heapUsedMb: number;
  heapTotalMb: number;
  externalMb: number;
  accepted: number;
  delivered: number;
  /** Messages queued or sending in Herald (its herald_queue_depth gauge). */
  backlog: number;
}

export interface Summary {
  command: string;
  minutes: number;
  rate: number;
  everyS: number;
  maxInFlight: number;
  accepted: number;
  rejected: number;
  errors: number;
  /** Accepted per second over the load (what Herald took of the offered rate). */
  acceptedPerS: number;
  deliveredDuringLoad: number;
  deliveredPerS: number;
  /** Accepted and not at the sink when the drain ended (null: not known; JSON has no NaN). */
  undelivered: number | null;
  /** Of those, still queued or sending in Herald. */
  stillQueued: number | null;
  drainS: number;
  behindMax: number;
  rssFirstMinMb: number;
  rssLastMinMb: number;
  heapFirstMinMb: number;
  heapLastMinMb: number;
  rssMaxMb: number;
  rssSlopeSecondHalf: number;
  heapSlopeSecondHalf: number;
  rssSlopeAll: number;
  levels: boolean;
  facts: MachineFacts;
}

const MB = 2 ** 20;

function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function metricsOf(url: string): Promise<Map<string, number>> {
  const r = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
  const out = new Map<string, number>();
  if (!r.ok) return out;
  for (const line of (await r.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    const k = line.slice(0, i);
    if (
      k.startsWith('herald_nodejs_heap_size_') ||
      k === 'herald_nodejs_external_memory_bytes' ||
      k.startsWith('herald_queue_depth')
    )
      out.set(k, Number(line.slice(i + 1)));
  }
  return out;
}

/** Least-squares slope of y over x. */
export function slope(points: [number, number][]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den ? num / den : NaN;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

const tmp = mkdtempSync(join(tmpdir(), 'herald-soak-'));
const load0 = loadavg()[0]!;
const sink = await startServer('sink');
const port = await freePort();
const url = `http://127.0.0.1:${port}`;
const nodeFlags: string[] = [...HERALD_NODE_FLAGS];
if (args.snapshots) {
  mkdirSync(args.snapshots, { recursive: true });
  // Only installs a signal handler: Herald runs the same until the harness sends SIGUSR2.
  nodeFlags.push('--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${args.snapshots}`);
}
const herald = await startNode(HERALD, ['serve'], {
  nodeFlags,
  env: {
    DATABASE_URL: `sqlite:${join(tmp, 'herald.db')}`,
    HERALD_API_KEY: KEY,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
    HERALD_WEBHOOK_CONCURRENCY: String(IN_FLIGHT),
  },
  ready: answers(`${url}/healthz`),
});
const pid = herald.child.pid!;
console.error(`soak: herald serve (pid ${pid}) on ${url}, sink ${sink.url}; ${minutes} min at ${rate} msg/s`);

// Interrupted (Ctrl-C, a timeout): stop what this harness started, then exit.
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    herald.child.kill('SIGKILL');
    sink.proc.child.kill('SIGKILL');
    process.exit(130);
  });
const pool = new Pool(url, { connections: 32, keepAliveTimeout: 60_000 });
const counts = { sent: 0, accepted: 0, rejected: 0, errors: 0, inFlight: 0, behind: 0 };
const samples: Sample[] = [];
const durationMs = minutes * 60_000;
const t0 = performance.now();
const elapsed = () => performance.now() - t0;

function send(i: number): void {
  counts.sent++;
  counts.inFlight++;
  pool
    .request({
      path: '/v1/messages',
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'webhook', url: `${sink.url}/hook/${i}`, body: { order: i, status: 'paid' } }),
    })
    .then(
      async (r) => {
        await r.body.dump();
        if (r.statusCode === 202) counts.accepted++;
        else counts.rejected++;
      },
      () => void counts.errors++,
    )
    .finally(() => counts.inFlight--);
}

async function sample(): Promise<void> {
  const [m, s] = await Promise.all([metricsOf(url), sinkStats(sink.url)]);
  const backlog = [...m].filter(([k]) => /state="(queued|sending)"/.test(k)).reduce((a, [, v]) => a + v, 0);
  const x: Sample = {
    t: Math.round(elapsed() / 100) / 10,
    rssMb: rssOf(pid),
    heapUsedMb: (m.get('herald_nodejs_heap_size_used_bytes') ?? NaN) / MB,
    heapTotalMb: (m.get('herald_nodejs_heap_size_total_bytes') ?? NaN) / MB,
    externalMb: (m.get('herald_nodejs_external_memory_bytes') ?? NaN) / MB,
    accepted: counts.accepted,
    delivered: s.count,
    backlog,
  };
  samples.push(x);
  console.error(
    `soak: t=${x.t.toFixed(0)} s rss ${x.rssMb.toFixed(1)} MB heap ${x.heapUsedMb.toFixed(1)}/${x.heapTotalMb.toFixed(1)} MB` +
      ` accepted ${x.accepted} delivered ${x.delivered} backlog ${x.backlog} load ${loadavg()[0]!.toFixed(2)}`,
  );
}

const snapshot = async (label: string) => {
  if (!args.snapshots) return;
  const before = new Set(readdirSync(args.snapshots));
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 600; i++) {
    await sleep(500);
    const fresh = readdirSync(args.snapshots).filter((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (fresh.length) {
      console.error(`soak: heap snapshot (${label}) ${join(args.snapshots, fresh[0]!)}`);
      return;
    }
  }
};

/** Accepted and not at the sink when the drain bound ran out; of those, still queued or sending in Herald. */
let undelivered = NaN;
let stillQueued = NaN;
let drainS = NaN;
try {
  await sample();
  let nextSample = everyS * 1000;
  let snapped = false;
  // The pacer: every 5 ms, send what the rate owes (at most MAX_IN_FLIGHT outstanding).
  while (elapsed() < durationMs) {
    const owed = Math.floor((elapsed() / 1000) * rate) - counts.sent;
    const room = MAX_IN_FLIGHT - counts.inFlight;
    if (owed > room) counts.behind = Math.max(counts.behind, owed - room);
    for (let k = 0; k < Math.min(owed, room); k++) send(counts.sent);
    if (elapsed() >= nextSample) {
      nextSample += everyS * 1000;
      await sample();
      if (!snapped && elapsed() >= 60_000) {
        snapped = true;
        await snapshot('after minute 1');
      }
    }
    await sleep(5);
  }
  while (counts.inFlight > 0 && elapsed() < durationMs + 30_000) await sleep(20);
  await sample();
  // Drain: every accepted message delivered, bounded.
  const d0 = performance.now();
  for (;;) {
    const s = await sinkStats(sink.url);
    if (s.count >= counts.accepted || performance.now() - d0 > 120_000) {
      undelivered = Math.max(0, counts.accepted - s.count);
      drainS = (performance.now() - d0) / 1000;
      const m = await metricsOf(url);
      stillQueued = [...m].filter(([k]) => /state="(queued|sending)"/.test(k)).reduce((a, [, v]) => a + v, 0);
      break;
    }
    await sleep(200);
  }
  await snapshot('end');
} finally {
  await pool.close();
  await herald.stop();
  await sink.proc.stop();
}

// The analysis: does RSS level off?
const full = samples.filter((s) => s.t > 0 && s.t <= minutes * 60 + 1);
const firstMin = full.filter((s) => s.t <= 60);
const lastMin = full.filter((s) => s.t > minutes * 60 - 60);
const secondHalf = full.filter((s) => s.t > (minutes * 60) / 2);
const perMin = (pick: (s: Sample) => number, xs: Sample[]) => slope(xs.map((s) => [s.t / 60, pick(s)]));
const rssSlope = perMin((s) => s.rssMb, secondHalf);
const heapSlope = perMin((s) => s.heapUsedMb, secondHalf);
const rssSlopeAll = perMin((s) => s.rssMb, full);
// Levelled: over the second half RSS grows by less than 1 MB a minute (on a noisy machine, a
// steady state wanders by a few MB; a leak at this rate of messages is tens of MB a minute).
const levels = rssSlope < 1;
const facts = await machineFacts(
  { name: 'autocannon', label: 'bench/soak.ts pacer (undici Pool, 32 connections)' },
  load0,
);
const last = samples.at(-1)!;
const summary: Summary = {
  command,
  minutes,
  rate,
  everyS,
  maxInFlight: MAX_IN_FLIGHT,
  accepted: counts.accepted,
  rejected: counts.rejected,
  errors: counts.errors,
  acceptedPerS: counts.accepted / (minutes * 60),
  deliveredDuringLoad: last.delivered,
  deliveredPerS: last.delivered / (minutes * 60),
  undelivered: Number.isNaN(undelivered) ? null : undelivered,
  stillQueued: Number.isNaN(stillQueued) ? null : stillQueued,
  drainS,
  behindMax: counts.behind,
  rssFirstMinMb: mean(firstMin.map((s) => s.rssMb)),
  rssLastMinMb: mean(lastMin.map((s) => s.rssMb)),
  heapFirstMinMb: mean(firstMin.map((s) => s.heapUsedMb)),
  heapLastMinMb: mean(lastMin.map((s) => s.heapUsedMb)),
  rssMaxMb: Math.max(...full.map((s) => s.rssMb)),
  rssSlopeSecondHalf: rssSlope,
  heapSlopeSecondHalf: heapSlope,
  rssSlopeAll,
  levels,
  facts,
};
console.error(JSON.stringify(summary, null, 2));
render(summary, samples, write);

/** The plot (docs/soak.svg), the section of docs/benchmarks.md and bench/soak.json of one run. */
function render(summary: Summary, samples: Sample[], write: boolean): void {
  const { rate, minutes, command, facts, everyS } = summary;

  const f1 = (v: number) => v.toFixed(1);
  const svg = linesSvg(
    [
      { label: 'RSS (/proc)', colour: '#2563eb', points: samples.map((s) => [s.t / 60, s.rssMb]) },
      { label: 'V8 heap total', colour: '#9ca3af', points: samples.map((s) => [s.t / 60, s.heapTotalMb]) },
      { label: 'V8 heap used', colour: '#dc2626', points: samples.map((s) => [s.t / 60, s.heapUsedMb]) },
    ],
    {
      title: `herald serve (SQLite) memory under ${rate.toLocaleString('en-US')} msg/s for ${minutes} min`,
      subtitle: `${command}, ${facts.date.slice(0, 10)}`,
      xLabel: 'minutes since the load started',
      yLabel: 'MB',
    },
  );
  const section = [
    '<!-- soak:start -->',
    '## Soak: memory under steady load',
    '',
    `_${facts.date} · ${facts.cpus}, ${facts.memory} · load ${facts.load} · ${facts.node} · ${facts.sqlite ?? ''} · commit ${facts.commit}_`,
    '',
    `Command: \`${command}\` (bench/soak.ts). \`herald serve\` on a fresh SQLite file takes single webhook messages`,
    `(\`POST /v1/messages\`) at a steady ${rate.toLocaleString('en-US')} msg/s for ${minutes} minutes from a paced client`,
    '(undici, 32 keep-alive connections) and delivers them to a keep-alive sink on 127.0.0.1. Every',
    `${everyS} s, from outside: RSS from \`/proc/<pid>/status\`, V8 heap from Herald's \`/metrics\``,
    "(`herald_nodejs_heap_size_*_bytes`: the main thread's; the SQLite thread's heap and SQLite's own",
    'memory count in RSS only). The machine was shared with other work while it ran (the load',
    'average above): absolute figures are noisy, the shape is what counts.',
    '',
    '![RSS and V8 heap of herald serve over the soak](soak.svg)',
    '',
    '| | first minute (mean) | last minute (mean) | slope over the second half |',
    '| --- | --- | --- | --- |',
    `| RSS | ${f1(summary.rssFirstMinMb)} MB | ${f1(summary.rssLastMinMb)} MB | ${summary.rssSlopeSecondHalf.toFixed(2)} MB/min |`,
    `| V8 heap used | ${f1(summary.heapFirstMinMb)} MB | ${f1(summary.heapLastMinMb)} MB | ${summary.heapSlopeSecondHalf.toFixed(2)} MB/min |`,
    '',
    `Messages: ${summary.accepted.toLocaleString('en-US')} accepted (${f1(summary.acceptedPerS)}/s of the ${rate.toLocaleString('en-US')}/s offered;`,
    `${summary.rejected} refused, ${summary.errors} client errors), ${summary.deliveredDuringLoad.toLocaleString('en-US')} delivered during the load`,
    `(${f1(summary.deliveredPerS)}/s); ` +
      (summary.undelivered === 0
        ? `every accepted message was delivered (${f1(summary.drainS)} s after the load ended).`
        : `after a ${f1(summary.drainS)} s drain (bounded at 120 s) ${summary.undelivered?.toLocaleString('en-US') ?? '?'} were not yet at the sink, of which Herald still held ${summary.stillQueued?.toLocaleString('en-US') ?? '?'} queued or sending (not lost: the run stops before they are sent).`) +
      (summary.acceptedPerS < rate * 0.95
        ? ` **The offered rate was not reached**: the client keeps at most ${summary.maxInFlight} requests in flight, and on this machine Herald answered fewer; the backlog of undelivered messages grew through the run (the SQLite file with it), so memory was measured under a growing queue, not a steady one.`
        : ''),
    `RSS peaked at ${f1(summary.rssMaxMb)} MB.`,
    '',
    summary.levels
      ? `**RSS levels off**: over the second half it moved ${summary.rssSlopeSecondHalf.toFixed(2)} MB/min (threshold: under 1 MB/min).`
      : `**RSS does not level off**: it still grew ${summary.rssSlopeSecondHalf.toFixed(2)} MB/min over the second half (threshold: under 1 MB/min).`,
    '<!-- soak:end -->',
  ].join('\n');
  console.log(section);
  if (write) {
    writeFileSync(JSON_PATH, JSON.stringify({ summary, samples }, null, 2) + '\n');
    writeFileSync(SVG_PATH, svg);
    const doc = readFileSync(DOC_PATH, 'utf8');
    const re = /<!-- soak:start -->[\s\S]*?<!-- soak:end -->/;
    if (!re.test(doc)) throw new Error(`${DOC_PATH} has no soak markers`);
    writeFileSync(DOC_PATH, doc.replace(re, section));
    console.error(`soak: wrote ${DOC_PATH}, ${SVG_PATH} and ${JSON_PATH}`);
  }
}
