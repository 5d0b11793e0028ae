/**
 * Ingest while retention purges 1M rows (issue 13: at most 10% slower). Per store: 1M final
 * messages 40 days old are seeded; `herald api` takes single-message ingest (wrk -c64, as the
 * ingest section) three times — before, while Herald's RetentionJob purges in another process (as
 * `herald worker` does), and after it stopped — and the middle figure is compared with the mean of
 * the two around it (same run, same machine).
 *
 *   node bench/retention.ts [--rows 1000000] [--seconds 10] [--backends sqlite,postgres]
 *
 * Prints one line per store and a Markdown table for docs/benchmarks.md (the notes section).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pickTool, type LoadResult } from './lib/load.ts';
import { runToEnd, startNode } from './lib/proc.ts';
import {
  BACKENDS,
  KEY,
  STORE_NAME,
  bodyFile,
  freshDatabase,
  loadPost,
  startHerald,
  webhookMessage,
  type Backend,
  type Ctx,
} from './lib/subjects.ts';

const PURGER = join(import.meta.dirname, 'retention', 'purger.ts');
const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '10' },
    backends: { type: 'string', default: BACKENDS.join(',') },
  },
});
const rows = Number(args.rows);
const ctx: Ctx = {
  tool: pickTool(process.env.BENCH_TOOL),
  seconds: Number(args.seconds),
  deliveries: 0,
  quick: false,
  tmp: mkdtempSync(join(tmpdir(), 'herald-bench-retention-')),
  memo: new Map(),
};

interface Row {
  backend: Backend;
  before: LoadResult;
  during: LoadResult;
  after: LoadResult;
  purged: number;
  purgeMs: number;
}

async function measure(backend: Backend): Promise<Row> {
  const db = await freshDatabase(ctx, backend);
  try {
    const t0 = performance.now();
    await runToEnd(process.execPath, [PURGER, db.url, 'seed', String(rows)], { timeoutMs: 30 * 60_000 });
    console.error(
      `retention bench: ${backend}: seeded ${rows} rows in ${Math.round((performance.now() - t0) / 1000)} s`,
    );
    const body = bodyFile(ctx, 'single', webhookMessage(0));
    const api = await startHerald('api', db.url);
    try {
      const url = `${api.url}/v1/messages`;
      const before = await loadPost(ctx, url, body, 64, KEY);
      const purger = await startNode(PURGER, [db.url, 'purge'], { ready: /ready/ });
      let out = '';
      purger.child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
      const during = await loadPost(ctx, url, body, 64, KEY);
      await purger.stop(30_000);
      const counts = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { messages?: number; ms?: number };
      const after = await loadPost(ctx, url, body, 64, KEY);
      return { backend, before, during, after, purged: counts.messages ?? 0, purgeMs: counts.ms ?? 0 };
    } finally {
      await api.proc.stop();
    }
  } finally {
    await db.drop();
  }
}

const results: Row[] = [];
for (const b of args.backends.split(',').map((s) => s.trim()) as Backend[]) {
  const r = await measure(b);
  results.push(r);
  const base = (r.before.rps + r.after.rps) / 2;
  console.error(
    `retention bench: ${b}: ${r.during.rps.toFixed(0)} req/s while purging vs ${base.toFixed(0)} (before ${r.before.rps.toFixed(0)}, after ${r.after.rps.toFixed(0)}): ${((r.during.rps / base) * 100).toFixed(1)}%; purged ${r.purged} rows in ${(r.purgeMs / 1000).toFixed(1)} s`,
  );
}
console.log(
  `| store | ingest before | while purging | after | while purging ÷ mean(before, after) | rows purged meanwhile | purge rate |`,
);
console.log(`| --- | --- | --- | --- | --- | --- | --- |`);
for (const r of results) {
  const base = (r.before.rps + r.after.rps) / 2;
  console.log(
    `| ${STORE_NAME[r.backend]} | ${r.before.rps.toFixed(0)} req/s | **${r.during.rps.toFixed(0)} req/s** | ${r.after.rps.toFixed(0)} req/s | **${(r.during.rps / base).toFixed(2)}×** | ${r.purged.toLocaleString('en')} | ${Math.round(r.purged / (r.purgeMs / 1000)).toLocaleString('en')} rows/s |`,
  );
}
console.log(`\nLoad: ${results[0]?.before.command ?? ''} (${ctx.tool.label}, ${ctx.seconds} s each)`);
