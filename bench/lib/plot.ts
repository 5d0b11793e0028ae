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

export interface Series {
  label: string;
  colour: string;
  /** [x, y] points, x ascending. */
  points: [number, number][];
}

/**
 * A line plot of a few series over time (the soak test's memory samples): one shared y scale
 * from 0, x in the given unit. Plain SVG text, like the throughput plot.
 */
export function linesSvg(
  series: Series[],
  o: { title: string; subtitle: string; xLabel: string; yLabel: string },
): string {
  const H = 340;
  const left = 64;
  const right = 24;
  const top = 56;
  const bottom = 44;
  const pw = WIDTH - left - right;
  const ph = H - top - bottom;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xMax = Math.max(...xs, 1);
  const yMax = niceCeil(Math.max(...ys, 1));
  const X = (x: number) => left + (x / xMax) * pw;
  const Y = (y: number) => top + ph - (y / yMax) * ph;
  const grid: string[] = [];
  for (let i = 0; i <= 5; i++) {
    const v = (yMax / 5) * i;
    grid.push(
      `<line x1="${left}" y1="${Y(v).toFixed(1)}" x2="${left + pw}" y2="${Y(v).toFixed(1)}" stroke="#e5e7eb"/>`,
      `<text x="${left - 6}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end">${num(v)}</text>`,
    );
  }
  const xStep = xMax > 12 ? Math.ceil(xMax / 10) : 1;
  for (let x = 0; x <= xMax + 1e-9; x += xStep)
    grid.push(`<text x="${X(x).toFixed(1)}" y="${top + ph + 16}" text-anchor="middle">${num(x)}</text>`);
  const lines = series.map(
    (s) =>
      `<polyline fill="none" stroke="${s.colour}" stroke-width="2" points="${s.points
        .map(([x, y]) => `${X(x).toFixed(1)},${Y(y).toFixed(1)}`)
        .join(' ')}"/>`,
  );
  const legend = series
    .map(
      (s, i) =>
        `<rect x="${8 + i * 190}" y="30" width="12" height="12" fill="${s.colour}"/><text x="${26 + i * 190}" y="41">${esc(s.label)}</text>`,
    )
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${H}" viewBox="0 0 ${WIDTH} ${H}" font-family="DejaVu Sans, Arial, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="8" y="18" font-size="14" font-weight="bold">${esc(o.title)}</text>`,
    `<text x="${WIDTH - 8}" y="18" text-anchor="end" fill="#555">${esc(o.subtitle)}</text>`,
    legend,
    ...grid,
    `<line x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}" stroke="#555"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}" stroke="#555"/>`,
    `<text x="${left + pw / 2}" y="${H - 8}" text-anchor="middle">${esc(o.xLabel)}</text>`,
    `<text x="14" y="${top + ph / 2}" text-anchor="middle" transform="rotate(-90 14 ${top + ph / 2})">${esc(o.yLabel)}</text>`,
    ...lines,
    '</svg>',
    '',
  ].join('\n');
}

/** 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × a power of ten, at least v. */
function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
