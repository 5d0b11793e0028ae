/** One line of the chaos table: a fault (or the fuzzer) and what came of it. */
export interface Row {
  scenario: string;
  store: 'sqlite' | 'postgres';
  /** Faults injected (for the fuzzer: requests sent). */
  faults: number;
  accepted: number;
  delivered: number;
  lost: number;
  duplicates: number;
  /** Longest time from the end of a fault until a message accepted after it was delivered (ms). */
  recoveryMs?: number;
  /** 5xx answers to bad input (fuzzer rows). */
  bad5xx?: number;
  /** 500 answers to valid messages (load rows): a defect as well. */
  internal?: number;
  /** Why the row did not run. */
  skipped?: string;
  notes: string[];
}

const dash = '—';

function recovery(ms: number | undefined): string {
  if (ms === undefined) return dash;
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The table as Markdown (readable as plain text too). */
export function formatTable(rows: Row[]): string {
  const head = [
    'fault',
    'store',
    'faults injected',
    'accepted',
    'delivered',
    'lost',
    'duplicates',
    'recovery',
    '5xx for bad input',
  ];
  const lines = rows.map((r) =>
    r.skipped
      ? [r.scenario, r.store, `skipped: ${r.skipped}`, dash, dash, dash, dash, dash, dash]
      : [
          r.scenario,
          r.store,
          String(r.faults),
          String(r.accepted),
          String(r.delivered),
          String(r.lost),
          String(r.duplicates),
          recovery(r.recoveryMs),
          r.bad5xx === undefined ? dash : String(r.bad5xx),
        ],
  );
  const total = rows.filter((r) => !r.skipped);
  lines.push([
    '**total**',
    '',
    String(total.reduce((a, r) => a + (r.bad5xx === undefined ? r.faults : 0), 0)),
    String(total.reduce((a, r) => a + r.accepted, 0)),
    String(total.reduce((a, r) => a + r.delivered, 0)),
    `**${total.reduce((a, r) => a + r.lost, 0)}**`,
    String(total.reduce((a, r) => a + r.duplicates, 0)),
    recovery(Math.max(0, ...total.map((r) => r.recoveryMs ?? 0)) || undefined),
    `**${total.reduce((a, r) => a + (r.bad5xx ?? 0), 0)}**`,
  ]);
  const out = [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`];
  for (const l of lines) out.push(`| ${l.join(' | ')} |`);
  return out.join('\n');
}

/** Why the run fails (empty: it passes). */
export function verdict(rows: Row[], crashes: string[]): string[] {
  const why: string[] = [];
  for (const r of rows) {
    if (r.skipped) continue;
    if (r.lost > 0) why.push(`${r.scenario} (${r.store}): ${r.lost} accepted messages lost`);
    if ((r.bad5xx ?? 0) > 0) why.push(`${r.scenario} (${r.store}): ${r.bad5xx} answers 5xx to bad input`);
    if ((r.internal ?? 0) > 0) why.push(`${r.scenario} (${r.store}): ${r.internal} answers 500 to valid messages`);
  }
  for (const c of crashes) why.push(`a Herald process died by itself: ${c}`);
  return why;
}
