/**
 * The throughput plot of docs/benchmarks.md: one group of horizontal bars per scenario, Herald
 * beside the bare baseline and the peer queues, each group on its own scale (units differ).
 * Plain SVG text, no dependency: it renders on GitHub and in any browser.
 */
import type { Figure, SectionResult, System } from './results.ts';

const COLOURS: Record<System, string> = { herald: '#2563eb', bare: '#9ca3af', bullmq: '#dc2626', 'pg-boss': '#16a34a' };
const NAMES: Record<System, string> = {
  herald: 'Herald',
  bare: 'bare baseline',
  bullmq: 'BullMQ',
  'pg-boss': 'pg-boss',
};
const ORDER: System[] = ['bare', 'herald', 'bullmq', 'pg-boss'];
const WIDTH = 960;
const LABEL = 330;
const BAR = 470;
const ROW = 20;

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const num = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));

/** Figures grouped by scenario, throughput only (units per second), in section order. */
function groups(sections: SectionResult[]): [string, Figure[]][] {
  const out = new Map<string, Figure[]>();
  for (const s of sections)
    for (const f of s.figures) {
      if (!f.unit.endsWith('/s')) continue;
      out.set(f.scenario, [...(out.get(f.scenario) ?? []), f]);
    }
  // Within a group: the bare baseline first, then Herald, then the peers (stable otherwise).
  const rank = (f: Figure) => ORDER.indexOf(f.system);
  return [...out].map(([k, v]) => [k, [...v].sort((a, b) => rank(a) - rank(b))]);
}

export function throughputSvg(sections: SectionResult[], subtitle: string): string {
  const parts: string[] = [];
  let y = 56;
  for (const [scenario, figures] of groups(sections)) {
    const max = Math.max(...figures.map((f) => f.value), 1);
    parts.push(`<text x="8" y="${y + 14}" font-weight="bold">${esc(scenario)} (${esc(figures[0]!.unit)})</text>`);
    y += 22;
    for (const f of figures) {
      const w = Math.max(1, (f.value / max) * BAR);
      parts.push(
        `<text x="${LABEL - 8}" y="${y + 14}" text-anchor="end">${esc(f.label)}</text>`,
        `<rect x="${LABEL}" y="${y + 3}" width="${w.toFixed(1)}" height="${ROW - 6}" fill="${COLOURS[f.system]}"/>`,
        `<text x="${LABEL + w + 6}" y="${y + 14}">${num(f.value)}</text>`,
      );
      y += ROW;
    }
    y += 12;
  }
  const legend = (Object.keys(COLOURS) as System[])
    .map(
      (s, i) =>
        `<rect x="${8 + i * 150}" y="30" width="12" height="12" fill="${COLOURS[s]}"/><text x="${26 + i * 150}" y="41">${NAMES[s]}</text>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 8}" viewBox="0 0 ${WIDTH} ${y + 8}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="8" y="18" font-size="14" font-weight="bold">Throughput per scenario, same run per group (longer is faster)</text>`,
    `<text x="${WIDTH - 8}" y="18" text-anchor="end" fill="#555">${esc(subtitle)}</text>`,
    legend,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
