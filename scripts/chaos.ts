// `npm run chaos`: the fault suite (test/chaos/), full profile by default, `--short` for the one
// `npm test` runs. Prints the table (Markdown) and exits 1 when a message was lost, bad input got
// a 5xx, a valid message got a 500, or a Herald process died by itself.
//   npm run chaos                  # full: PostgreSQL (private cluster) and SQLite, ~5 minutes
//   npm run chaos -- --short       # the short profile
//   npm run chaos -- --only=sqlite # one topology (sqlite | postgres)
//   npm run chaos -- --faults='PostgreSQL restart,disk full'   # only these rows (names as in the table)
import { PROFILES, runPostgres, runSqlite } from '../test/chaos/run.ts';
import { formatTable, verdict } from '../test/chaos/table.ts';

const args = process.argv.slice(2);
const faults = args.find((a) => a.startsWith('--faults='))?.slice('--faults='.length);
const profile = {
  ...PROFILES[args.includes('--short') ? 'short' : 'full'],
  ...(faults ? { only: faults.split(',') } : {}),
};
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const started = new Date();
const t0 = Date.now();
const log = (line: string) => process.stderr.write(`chaos: ${((Date.now() - t0) / 1000).toFixed(1)} s ${line}\n`);
log(`profile ${profile.name}: ${JSON.stringify(profile)}`);

const results = [];
if (!only || only === 'postgres') results.push(await runPostgres(profile, log));
if (!only || only === 'sqlite') results.push(await runSqlite(profile, log));
const rows = results.flatMap((r) => r.rows);
const crashes = results.flatMap((r) => r.crashes);
const failures = verdict(rows, crashes);

console.log(`\n${formatTable(rows)}\n`);
console.log(
  `\`npm run chaos${args.length ? ` -- ${args.join(' ')}` : ''}\`, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${Math.round((Date.now() - t0) / 1000)} s, Node ${process.version}`,
);
const notes = rows.filter((r) => r.notes.length || r.skipped);
if (notes.length) {
  console.log('\nNotes:');
  for (const r of notes) for (const n of r.notes) console.log(`- ${r.scenario} (${r.store}): ${n}`);
}
if (failures.length) {
  console.log('\nFAILED:');
  for (const f of failures) console.log(`- ${f}`);
  if (process.env.CHAOS_LOGS) for (const r of results) for (const l of r.log) console.log(l);
  process.exitCode = 1;
} else
  console.log('\nPASSED: nothing lost, no 5xx for bad input, no 500 for valid messages, no process died by itself.');
