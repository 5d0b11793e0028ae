/**
 * Renders docs/benchmarks.md (and docs/benchmarks.svg) from bench/results.json. Sections marked
 * `<!-- name:start -->` … `<!-- name:end -->` in the existing document that this renderer does not
 * write itself (bench/soak.ts's `soak`, the hand-written `notes`) are carried over as they are.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { throughputSvg } from './plot.ts';
import {
  ratioOf,
  verdict,
  type Check,
  type Figure,
  type MachineFacts,
  type ProfileResult,
  type Results,
  type SectionResult,
} from './results.ts';

const DOCS = join(import.meta.dirname, '..', '..', 'docs');
export const DOC_PATH = join(DOCS, 'benchmarks.md');
export const SVG_NAME = 'benchmarks.svg';
/** Section order of the document (and of a full run). */
export const SECTION_ORDER = ['ingest', 'batch', 'delivery', 'e2e', 'events', 'fanout', 'providers'];

const n = (v: number, unit: string) => `${v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1)} ${unit}`;

/** The kept marked sections of a document, by name. */
export function markedSections(doc: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of doc.matchAll(/<!-- ([a-z][a-z0-9-]*):start -->[\s\S]*?<!-- \1:end -->/g)) out.set(m[1]!, m[0]);
  return out;
}

function goalText(c: Check, f: Figure): string {
  const g = c.goal;
  if (!g) return c.remark ?? '—';
  const parts = [
    g.ratio !== undefined ? `≥ ${g.ratio}×` : '',
    g.min !== undefined ? `≥ ${n(g.min, f.unit)}` : '',
    g.max !== undefined ? `≤ ${n(g.max, f.unit)}` : '',
  ].filter(Boolean);
  return `${parts.join(', ')} (${g.source})`;
}

function checkRow(s: SectionResult, c: Check, withSection = false): string {
  const f = s.figures.find((x) => x.id === c.figure);
  if (!f) return `| ${withSection ? `${s.title} | ` : ''}${c.figure} | not measured | | | | |`;
  const r = c.reference ? s.figures.find((x) => x.id === c.reference) : undefined;
  const ratio = ratioOf(s, c);
  const v = verdict(s, c);
  return [
    '',
    ...(withSection ? [s.title] : []),
    f.label,
    `**${n(f.value, f.unit)}**`,
    r ? `${r.label}: ${n(r.value, r.unit)}` : '—',
    ratio !== undefined ? `**${ratio.toFixed(2)}×**` : '—',
    goalText(c, f),
    (v === undefined ? '—' : v ? '✅ met' : '❌ not met') + (s.warning ? ' (⚠ unsteady run)' : ''),
    '',
  ]
    .join(' | ')
    .trim();
}

const CHECK_HEAD = [
  '| Herald | figure | same-run reference | ratio | goal | met |',
  '| --- | --- | --- | --- | --- | --- |',
];

function machineLine(m: MachineFacts): string {
  return `_${m.date} · ${m.cpus}, ${m.memory} · load ${m.load} · ${m.node} · ${m.tool} · commit ${m.commit}_`;
}

function section(s: SectionResult): string {
  const out = [
    `## ${s.title}`,
    '',
    machineLine(s.machine),
    '',
    `Command: \`${s.command}\` (${Math.round(s.seconds)} s)`,
    '',
  ];
  if (s.warning) out.push(`> ⚠ ${s.warning}`, '');
  if (s.about.length) out.push(...s.about, '');
  if (s.markdown) out.push(s.markdown, '');
  if (s.checks.length) out.push(...CHECK_HEAD, ...s.checks.map((c) => checkRow(s, c)), '');
  if (s.figures.length)
    out.push(
      '<details><summary>Every figure of this section, with its command</summary>',
      '',
      '| what | figure | notes | command |',
      '| --- | --- | --- | --- |',
      ...s.figures.map((f) => `| ${f.label} | ${n(f.value, f.unit)} | ${f.note ?? ''} | \`${f.command}\` |`),
      '',
      '</details>',
      '',
    );
  return out.join('\n');
}

function summary(sections: SectionResult[]): string {
  const rows: string[] = [];
  let met = 0;
  let total = 0;
  for (const s of sections)
    for (const c of s.checks) {
      if (!c.goal) continue;
      total++;
      if (verdict(s, c)) met++;
      rows.push(checkRow(s, c, true));
    }
  return [
    '## Summary: the goals of issue 10',
    '',
    `${met} of ${total} goals met. Each ratio divides two figures of the same run of the same section.`,
    '',
    `![Throughput per scenario: Herald beside the bare baselines, BullMQ and pg-boss](${SVG_NAME})`,
    '',
    '| section | Herald | figure | same-run reference | ratio | goal | met |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

function facts(sections: SectionResult[]): string {
  const latest = [...sections].sort((a, b) => b.machine.date.localeCompare(a.machine.date))[0];
  if (!latest) return '';
  const m = latest.machine;
  return [
    '## Machine',
    '',
    `| fact | value |`,
    `| --- | --- |`,
    `| CPU | ${m.cpus} |`,
    `| memory | ${m.memory} |`,
    `| runtime | ${m.node} |`,
    `| load generator | ${m.tool} |`,
    `| databases | ${[m.sqlite, m.postgres, m.redis].filter(Boolean).join('; ')} |`,
    `| peers | ${m.peers ?? 'not installed'} |`,
    '',
    'The machine is shared (other sessions run tests on the same 2 cores): the load average is shown per section.',
    'Read the ratios, not the absolute figures.',
    '',
  ].join('\n');
}

function profileSection(p: ProfileResult): string {
  const out = ['## Baseline CPU profile', '', machineLine(p.machine), '', `Command: \`${p.command}\``, ''];
  out.push(
    'Self time of each function (`node --cpu-prof`, 1 ms sampling), grouped by where the time goes. A native',
    'function is counted with the JavaScript that called it (a `node:sqlite` statement run counts as node:sqlite, a socket',
    'write as node core), except JSON, GC and idle. "busy" excludes idle time (the event loop waiting). Only samples taken',
    'while the load ran count (`herald api`: the wrk run; `herald worker`: first to last delivery), not the start-up.',
    'How groups are formed, and what keeps node:sqlite recognisable after a refactor: bench/lib/cpuprofile.ts.',
    '',
  );
  for (const r of p.runs) {
    out.push(`### ${r.title}`, '', `While profiled: ${r.throughput}.`, '');
    for (const t of r.threads) {
      const busy = t.totalMs - t.idleMs;
      if (r.threads.length > 1) out.push(`Thread: ${t.thread}`, '');
      out.push(
        `Sampled: ${Math.round(t.totalMs).toLocaleString('en-US')} ms, of which busy ${Math.round(busy).toLocaleString('en-US')} ms (${((busy / Math.max(t.totalMs, 1)) * 100).toFixed(0)}%).`,
        '',
        '| group | self ms | % of busy | % of all |',
        '| --- | --- | --- | --- |',
        ...t.groups.map(
          (g) =>
            `| ${g.group} | ${Math.round(g.selfMs)} | ${(g.busyShare * 100).toFixed(1)} | ${(g.share * 100).toFixed(1)} |`,
        ),
        '',
        '<details><summary>Top functions by self time</summary>',
        '',
        '| % of busy | self ms | function | where | group |',
        '| --- | --- | --- | --- | --- |',
        ...t.top.map(
          (f) =>
            `| ${(f.busyShare * 100).toFixed(1)} | ${Math.round(f.selfMs)} | \`${f.name}\` | ${f.where} | ${f.group} |`,
        ),
        '',
        '</details>',
        '',
      );
    }
  }
  return out.join('\n');
}

function spread(r: Results): string {
  if (r.history.length < 1) return '';
  const keys = [...new Set(r.history.flatMap((h) => Object.keys(h.ratios)))];
  const head = `| ratio | ${r.history.map((h) => `${h.date.slice(0, 16).replace('T', ' ')} (load ${h.load})`).join(' | ')} | spread |`;
  const rows = keys.map((k) => {
    const vals = r.history.map((h) => h.ratios[k]);
    const have = vals.filter((v): v is number => v !== undefined);
    const sp = have.length > 1 ? `${Math.min(...have).toFixed(2)}–${Math.max(...have).toFixed(2)}` : '—';
    return `| ${k} | ${vals.map((v) => (v === undefined ? '—' : v.toFixed(2))).join(' | ')} | ${sp} |`;
  });
  return [
    '## Spread over recent full runs',
    '',
    'The same ratios in each full `npm run bench` (newest first; at most 10 kept): how far one run can be trusted on this machine.',
    '',
    head,
    `| --- | ${r.history.map(() => '---').join(' | ')} | --- |`,
    ...rows,
    '',
  ].join('\n');
}

const INTRO = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (bench/run.ts) from bench/results.json; do not edit by hand, except inside the',
  '`notes` section at the end. Every figure is shown beside a baseline measured in the same run, on the same',
  'machine, with the ratio, the goal from issue 10 and whether it is met. Load comes from `wrk` (C, one thread)',
  'when installed, else from autocannon (Node; it takes CPU from what it measures); each section names the tool.',
  'Servers under test, baselines and peers each run in a process of their own, on 127.0.0.1 only.',
  '',
  '```',
  'npm run bench                          # every section (about 10 minutes), rewrites this file',
  'npm run bench -- --only delivery,e2e   # some sections; the others keep their last figures',
  'npm run bench -- --quick               # 3 s loads, 5,000 deliveries, 100,000 contacts; prints, writes nothing',
  'npm run bench:profile                  # the baseline CPU profile section',
  'BENCH_DURATION=10 BENCH_DELIVERIES=50000 npm run bench   # load seconds (6–10), messages per drain',
  'npm run bench -- --tool autocannon     # force the fallback load generator',
  'npm run bench -- --render              # re-render this file from bench/results.json, measure nothing',
  '```',
  '',
  'Sections: ' +
    SECTION_ORDER.map((s) => `\`${s}\``).join(', ') +
    '. The peers (BullMQ, pg-boss) come from bench/peers/package.json,',
  'installed on demand by `npm run bench` (`npm ci --prefix bench/peers`), never as Herald dependencies.',
  '',
].join('\n');

const SOAK_PLACEHOLDER =
  '<!-- soak:start -->\n_The soak test (bench/soak.ts) has not written its section yet._\n<!-- soak:end -->';
const NOTES_PLACEHOLDER =
  '<!-- notes:start -->\n## Reading these numbers\n\n_(hand-written notes go here; the generator keeps them)_\n<!-- notes:end -->';

const sectionsOf = (r: Results): SectionResult[] =>
  SECTION_ORDER.map((k) => r.sections[k]).filter((s): s is SectionResult => Boolean(s));

/** The document for these results, keeping the marked sections of the previous document. */
export function renderReport(r: Results, previous: string): string {
  const sections = sectionsOf(r);
  const kept = markedSections(previous);
  const soak = kept.get('soak') ?? SOAK_PLACEHOLDER;
  const notes = kept.get('notes') ?? NOTES_PLACEHOLDER;
  const others = [...kept].filter(([k]) => k !== 'soak' && k !== 'notes').map(([, v]) => v);
  return [
    INTRO,
    summary(sections),
    facts(sections),
    ...sections.map(section),
    soak + '\n',
    r.profile ? profileSection(r.profile) : '',
    spread(r),
    ...others.map((o) => o + '\n'),
    notes,
    '',
  ]
    .filter(Boolean)
    .join('\n');
}

/** Writes docs/benchmarks.md and docs/benchmarks.svg (unless `write` is false); answers the markdown. */
export function writeReport(r: Results, opts: { write: boolean } = { write: true }): string {
  const doc = renderReport(r, existsSync(DOC_PATH) ? readFileSync(DOC_PATH, 'utf8') : '');
  if (opts.write) {
    writeFileSync(DOC_PATH, doc);
    const latest = sectionsOf(r)
      .map((s) => s.machine.date)
      .sort()
      .at(-1);
    writeFileSync(join(DOCS, SVG_NAME), throughputSvg(sectionsOf(r), `npm run bench, ${latest?.slice(0, 10) ?? ''}`));
  }
  return doc;
}
