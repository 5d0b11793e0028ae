/**
 * `npm run bench`: Herald's benchmarks, each figure beside a baseline measured in the same run —
 * the bare limit (node:http, undici) and the queues a user would pick instead (BullMQ, pg-boss) —
 * on SQLite and PostgreSQL. Records bench/results.json and renders docs/benchmarks.md and
 * docs/benchmarks.svg from it. Traffic goes to 127.0.0.1 only; every load and drain is bounded in
 * time and count.
 *
 *   npm run bench                                  every section
 *   npm run bench -- --only ingest,delivery        some sections (ingest batch delivery e2e fanout providers)
 *   npm run bench -- --quick                       short runs for iterating: prints, writes nothing
 *   npm run bench -- --tool autocannon             the fallback load generator even where wrk is installed
 *   npm run bench -- --render                      re-render the docs from bench/results.json, measure nothing
 *   BENCH_DURATION=8 BENCH_DELIVERIES=20000        seconds per load (6–10), messages per drain
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pickTool } from './lib/load.ts';
import { machineFacts } from './lib/machine.ts';
import { ensurePeers } from './lib/peers.ts';
import { ratioOf, readResults, writeResults, type Results, type SectionResult } from './lib/results.ts';
import { DOC_PATH, SECTION_ORDER, writeReport } from './lib/report.ts';
import type { Ctx } from './lib/subjects.ts';
import { DELIVERY, END_TO_END } from './sections/delivery.ts';
import { FANOUT, PROVIDERS } from './sections/extras.ts';
import { BATCH_INGEST, INGEST } from './sections/ingest.ts';
import { EVENTS } from './sections/events.ts';
import type { Section } from './sections/section.ts';

const SECTIONS: Section[] = [INGEST, BATCH_INGEST, DELIVERY, END_TO_END, EVENTS, FANOUT, PROVIDERS];
const HISTORY = 10;

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    tool: { type: 'string' },
    render: { type: 'boolean', default: false },
  },
});
if (args.render) {
  writeReport(readResults());
  process.exit(0);
}
const only = args.only
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = only?.filter((s) => !SECTION_ORDER.includes(s)) ?? [];
if (unknown.length) {
  console.error(`bench: unknown section(s) ${unknown.join(', ')}; sections: ${SECTION_ORDER.join(', ')}`);
  process.exit(2);
}
const chosen = SECTIONS.filter((s) => !only || only.includes(s.name));
const quick = args.quick;
const ctx: Ctx = {
  tool: pickTool(args.tool ?? process.env.BENCH_TOOL),
  seconds: quick ? 3 : Number(process.env.BENCH_DURATION ?? 8),
  deliveries: quick ? 5000 : Number(process.env.BENCH_DELIVERIES ?? 20_000),
  quick,
  tmp: mkdtempSync(join(tmpdir(), 'herald-bench-')),
  memo: new Map(),
};
const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
const env = ['BENCH_DURATION', 'BENCH_DELIVERIES', 'BENCH_CAMPAIGN_CONTACTS', 'BENCH_PGBOSS_WORKERS']
  .filter((k) => process.env[k])
  .map((k) => `${k}=${process.env[k]} `)
  .join('');

console.error(
  `bench: load measured by ${ctx.tool.label}; ${ctx.seconds} s per load, ${ctx.deliveries} messages per drain`,
);
await ensurePeers();

const results: Results = quick ? { sections: {}, history: [] } : readResults();
try {
  for (const s of chosen) {
    console.error(`bench: ${s.name} …`);
    const load0 = loadavg()[0]!;
    const t0 = performance.now();
    const measured = await s.run(ctx);
    const done: SectionResult = {
      name: s.name,
      title: s.title,
      command: `${env}${command}`,
      machine: await machineFacts(ctx.tool, load0),
      seconds: (performance.now() - t0) / 1000,
      ...measured,
    };
    results.sections[s.name] = done;
    for (const c of done.checks) {
      const r = ratioOf(done, c);
      if (r !== undefined) console.error(`  ${c.figure} / ${c.reference}: ${r.toFixed(2)}`);
    }
    // Written after every section, so that an interrupted run keeps what it measured.
    if (!quick) {
      writeResults(results);
      writeReport(results);
    }
  }
} finally {
  rmSync(ctx.tmp, { recursive: true, force: true });
}

if (!quick && !only) {
  const ratios: Record<string, number> = {};
  for (const s of chosen.map((c) => results.sections[c.name]!))
    for (const c of s.checks) {
      const r = ratioOf(s, c);
      if (r !== undefined) ratios[`${s.name}: ${c.figure} ÷ ${c.reference}`] = Math.round(r * 100) / 100;
    }
  const m = results.sections[chosen[0]!.name]!.machine;
  results.history = [{ date: m.date, load: m.load, tool: ctx.tool.label, ratios }, ...results.history].slice(
    0,
    HISTORY,
  );
  writeResults(results);
  writeReport(results);
}
if (quick) {
  const doc = writeReport(results, { write: false });
  console.log(doc.slice(doc.indexOf('## Summary')));
} else console.error(`bench: wrote ${DOC_PATH}, docs/benchmarks.svg and bench/results.json`);
