/**
 * What a benchmark run records (bench/results.json, committed beside docs/benchmarks.md, which is
 * rendered from it): per section, the figures measured in that run and the checks that compare
 * them. `--only <section>` replaces that section's entry and re-renders the whole document, so
 * every ratio still compares two figures of one run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RESULTS_PATH = join(import.meta.dirname, '..', 'results.json');

/** Who produced a figure: the plot colours and groups by this. */
export type System = 'herald' | 'bare' | 'bullmq' | 'pg-boss';

export interface Figure {
  /** Stable within the section, e.g. `herald-sqlite`. */
  id: string;
  /** The plot's group, e.g. "single-message ingest". */
  scenario: string;
  system: System;
  /** e.g. "herald api, SQLite". */
  label: string;
  value: number;
  unit: string;
  /** Latency, errors, how the rate was taken. */
  note?: string;
  /** The exact load or run command. */
  command: string;
}

export interface Goal {
  /** Herald ÷ reference must be at least this. */
  ratio?: number;
  /** Herald's value must be at least / at most this (in the figure's unit). */
  min?: number;
  max?: number;
  /** Where the goal comes from, e.g. "issue 10". */
  source: string;
}

/** One row of a section's table: a Herald figure, against a reference of the same run, with a goal. */
export interface Check {
  figure: string;
  reference?: string;
  goal?: Goal;
  /** Why a row has no goal, or a caveat. */
  remark?: string;
}

export interface MachineFacts {
  date: string;
  cpus: string;
  memory: string;
  /** 1-minute load average when the section started and ended (other engineers' work included). */
  load: string;
  node: string;
  tool: string;
  postgres?: string;
  redis?: string;
  sqlite?: string;
  peers?: string;
  commit: string;
}

export interface SectionResult {
  name: string;
  title: string;
  /** How it was run (the npm command, durations, counts). */
  command: string;
  machine: MachineFacts;
  /** Sentences shown above the table. */
  about: string[];
  figures: Figure[];
  checks: Check[];
  /** Set when the section's bracketing baselines disagree: its ratios are not to be trusted. */
  warning?: string;
  /** A section that renders itself (e.g. the provider benchmarks): markdown shown as is. */
  markdown?: string;
  seconds: number;
}

/** One grouped line of a CPU profile. */
export interface ProfileGroup {
  group: string;
  selfMs: number;
  /** Share of all samples, idle included. */
  share: number;
  /** Share of the non-idle samples. */
  busyShare: number;
}

export interface ProfileFunction {
  name: string;
  where: string;
  group: string;
  selfMs: number;
  busyShare: number;
}

export interface ProfileRun {
  name: string;
  title: string;
  /** The throughput while profiled (the profiler slows the process a little). */
  throughput: string;
  /** Per thread when the process has more than one. */
  threads: { thread: string; totalMs: number; idleMs: number; groups: ProfileGroup[]; top: ProfileFunction[] }[];
}

export interface ProfileResult {
  command: string;
  machine: MachineFacts;
  runs: ProfileRun[];
}

export interface Results {
  sections: Record<string, SectionResult>;
  profile?: ProfileResult;
  /** Ratios of earlier full runs, newest first: the spread on this machine. */
  history: { date: string; load: string; tool: string; ratios: Record<string, number> }[];
}

export function readResults(path = RESULTS_PATH): Results {
  if (!existsSync(path)) return { sections: {}, history: [] };
  const r = JSON.parse(readFileSync(path, 'utf8')) as Partial<Results>;
  return { sections: r.sections ?? {}, history: r.history ?? [], ...(r.profile ? { profile: r.profile } : {}) };
}

export function writeResults(r: Results, path = RESULTS_PATH): void {
  writeFileSync(path, JSON.stringify(r, null, 2) + '\n');
}

/** The value of a check's ratio (Herald ÷ reference), when both figures exist. */
export function ratioOf(s: SectionResult, c: Check): number | undefined {
  const f = s.figures.find((x) => x.id === c.figure);
  const r = c.reference ? s.figures.find((x) => x.id === c.reference) : undefined;
  return f && r && r.value > 0 ? f.value / r.value : undefined;
}

/** Met, not met, or no goal. */
export function verdict(s: SectionResult, c: Check): boolean | undefined {
  const f = s.figures.find((x) => x.id === c.figure);
  if (!f || !c.goal) return undefined;
  const g = c.goal;
  const ratio = ratioOf(s, c);
  if (g.ratio !== undefined && (ratio === undefined || ratio < g.ratio)) return false;
  if (g.min !== undefined && f.value < g.min) return false;
  if (g.max !== undefined && f.value > g.max) return false;
  return true;
}
