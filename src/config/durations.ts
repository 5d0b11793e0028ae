/** Parses `500ms`, `5s`, `5m`, `2h`, `1d` or a bare number of milliseconds. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(input);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] ?? 'ms']!;
  return Math.round(n * unit);
}

export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** A retry schedule: a comma list (or YAML list) of durations; every bad entry is a problem. */
export function parseSchedule(raw: unknown, where: string, problems: string[]): number[] {
  const parts: unknown[] = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : [raw];
  const out: number[] = [];
  for (const p of parts) {
    const ms = typeof p === 'string' || typeof p === 'number' ? parseDuration(p) : undefined;
    if (ms === undefined) problems.push(`${where}: ${JSON.stringify(p)} is not a duration`);
    else out.push(ms);
  }
  if (out.length === 0) problems.push(`${where}: the retry schedule is empty`);
  return out;
}
