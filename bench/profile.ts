/**
 * `npm run bench:profile`: CPU profiles (`node --cpu-prof`) of Herald under the benchmark's loads,
 * grouped by where the time goes (bench/lib/cpuprofile.ts), written as the "Baseline CPU profile"
 * section of docs/benchmarks.md (through bench/results.json). Run it before and after each change
 * to the hot path to see what the change moved.
 *
 *   npm run bench:profile                                every run
 *   npm run bench:profile -- --only api-sqlite,worker-sqlite
 *   npm run bench:profile -- --no-write                  prints, leaves the docs alone
 *   BENCH_DURATION=8 BENCH_DELIVERIES=20000              load seconds, messages per drain
 *
 * Runs: api-sqlite and api-postgres (`herald api` under wrk -t1 -c64, single messages),
 * worker-sqlite and worker-postgres (`herald worker` draining preloaded webhooks to a keep-alive sink),
 * events-sqlite (the same drain with the events section's dead and slow endpoints subscribed).
 * The .cpuprofile files stay in .bench-tmp/profiles/<run>/ (open them in Chrome DevTools → Performance).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { analyse, monotonicUs, type CpuProfile } from './lib/cpuprofile.ts';
import { pickTool } from './lib/load.ts';
import { machineFacts } from './lib/machine.ts';
import { wallMs } from './lib/proc.ts';
import { readResults, writeResults, type ProfileRun } from './lib/results.ts';
import { writeReport } from './lib/report.ts';
import { badEndpoints, subscribe } from './sections/events.ts';
import {
  IN_FLIGHT,
  KEY,
  STORE_NAME,
  bodyFile,
  drained,
  fmt,
  freshDatabase,
  loadPost,
  preloadedDatabase,
  resetSink,
  startHerald,
  startServer,
  webhookMessage,
  type Backend,
  type Ctx,
} from './lib/subjects.ts';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, '.bench-tmp', 'profiles');
const RUNS = ['api-sqlite', 'api-postgres', 'worker-sqlite', 'worker-postgres', 'events-sqlite'] as const;
type RunName = (typeof RUNS)[number];

const { values: args } = parseArgs({
  options: { only: { type: 'string' }, 'no-write': { type: 'boolean', default: false } },
});
const only = args.only?.split(',').map((s) => s.trim());
const bad = only?.filter((r) => !(RUNS as readonly string[]).includes(r)) ?? [];
if (bad.length) {
  console.error(`bench:profile: unknown run(s) ${bad.join(', ')}; runs: ${RUNS.join(', ')}`);
  process.exit(2);
}
const ctx: Ctx = {
  tool: pickTool(process.env.BENCH_TOOL),
  seconds: Number(process.env.BENCH_DURATION ?? 8),
  deliveries: Number(process.env.BENCH_DELIVERIES ?? 20_000),
  quick: false,
  tmp: mkdtempSync(join(tmpdir(), 'herald-profile-')),
  memo: new Map(),
};

const profileFlags = (dir: string) => ['--cpu-prof', `--cpu-prof-dir=${dir}`];

/** A wall-clock instant (ms, as the sink records) on the profile's clock (µs). */
const wallToMonotonic = (wall: number): number => wall * 1000 + (monotonicUs() - wallMs() * 1000);

function readProfiles(
  dir: string,
  run: RunName,
  title: string,
  throughput: string,
  window: { fromUs: number; toUs: number },
): ProfileRun {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort();
  if (!files.length) throw new Error(`${run}: no .cpuprofile in ${dir}`);
  return {
    name: run,
    title,
    throughput,
    threads: files.map((f) => {
      // CPU.<date>.<time>.<pid>.<threadId>.<seq>.cpuprofile: thread 0 is the main thread.
      const tid = f.split('.')[4];
      const a = analyse(JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile, ROOT, window);
      return { thread: tid === '0' ? 'main' : `worker thread ${tid}`, ...a };
    }),
  };
}

async function profileApi(backend: Backend, dir: string): Promise<ProfileRun> {
  const db = await freshDatabase(ctx, backend);
  try {
    const h = await startHerald('api', db.url, { nodeFlags: profileFlags(dir) });
    let r;
    const fromUs = monotonicUs();
    try {
      r = await loadPost(ctx, `${h.url}/v1/messages`, bodyFile(ctx, 'single', webhookMessage(0)), 64, KEY);
    } finally {
      await h.proc.stop();
    }
    const window = { fromUs, toUs: fromUs + r.seconds * 1e6 };
    const title = `\`herald api\`, ${STORE_NAME[backend]}: single-message ingest under wrk -t1 -c64 -d${ctx.seconds}s`;
    return readProfiles(dir, `api-${backend}`, title, `${fmt(r.rps)} req/s (${r.command})`, window);
  } finally {
    await db.drop();
  }
}

/** The drain of preloaded webhooks; with `endpoints`, those subscribed to every message event first. */
async function profileWorker(run: RunName, backend: Backend, dir: string, endpoints?: string[]): Promise<ProfileRun> {
  const n = ctx.deliveries;
  const sink = await startServer('sink');
  try {
    const db = await preloadedDatabase(ctx, backend, sink.url, n);
    try {
      if (endpoints) await subscribe(db.url, endpoints);
      await resetSink(sink.url);
      const w = await startHerald('worker', db.url, { nodeFlags: profileFlags(dir) });
      let s;
      try {
        s = await drained(sink.url, n, 180_000);
      } finally {
        await w.proc.stop();
      }
      const rate = s.count / ((s.lastAt - s.firstAt) / 1000);
      const with_ = endpoints ? ', a dead and a slow event endpoint subscribed to every message event' : '';
      const title = `\`herald worker\`, ${STORE_NAME[backend]}: draining ${fmt(n)} preloaded webhooks to a keep-alive sink, ${IN_FLIGHT} in flight${with_}`;
      const window = { fromUs: wallToMonotonic(s.firstAt), toUs: wallToMonotonic(s.lastAt) };
      const done = s.complete ? '' : ` (INCOMPLETE: ${fmt(s.count)} of ${fmt(n)})`;
      return readProfiles(dir, run, title, `${fmt(rate)} deliveries/s${done}`, window);
    } finally {
      await db.drop();
    }
  } finally {
    await sink.proc.stop();
  }
}

const load0 = loadavg()[0]!;
const runs: ProfileRun[] = [];
try {
  for (const run of RUNS.filter((r) => !only || only.includes(r))) {
    const dir = join(OUT, run);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    console.error(`bench:profile: ${run} …`);
    const [role, backend] = run.split('-') as ['api' | 'worker' | 'events', Backend];
    let r: ProfileRun;
    if (role === 'api') r = await profileApi(backend, dir);
    else if (role === 'worker') r = await profileWorker(run, backend, dir);
    else {
      const bad = await badEndpoints();
      try {
        r = await profileWorker(run, backend, dir, bad.urls);
      } finally {
        await bad.close();
      }
    }
    runs.push(r);
    for (const t of r.threads) {
      console.log(
        `\n${run} (${t.thread}): ${r.throughput}; busy ${Math.round(t.totalMs - t.idleMs)} of ${Math.round(t.totalMs)} ms`,
      );
      for (const g of t.groups.slice(0, 12))
        console.log(`  ${(g.busyShare * 100).toFixed(1).padStart(5)}%  ${g.group}`);
    }
  }
} finally {
  rmSync(ctx.tmp, { recursive: true, force: true });
}
if (!args['no-write']) {
  const results = readResults();
  const previous = results.profile?.runs.filter((r) => !runs.some((x) => x.name === r.name)) ?? [];
  results.profile = {
    command: `npm run bench:profile${process.argv.length > 2 ? ' -- ' + process.argv.slice(2).join(' ') : ''}`,
    machine: await machineFacts(ctx.tool, load0),
    runs: [...runs, ...previous].sort((a, b) => RUNS.indexOf(a.name as RunName) - RUNS.indexOf(b.name as RunName)),
  };
  writeResults(results);
  writeReport(results);
  console.error(`\nbench:profile: wrote docs/benchmarks.md; profiles in ${OUT}`);
}
