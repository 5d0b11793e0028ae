import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PROFILES, runPostgres, runSqlite } from './chaos/run.ts';
import { formatTable, verdict } from './chaos/table.ts';

/**
 * The fault suite's short profile (`npm run chaos -- --short`; the full one is `npm run chaos`):
 * real Herald processes under steady ingest while API and worker processes are SIGKILLed,
 * a private PostgreSQL cluster is restarted, crashed and has every Herald session terminated,
 * the SQLite disk fills up, the receivers are slow, failing, answer garbage and vanish; then the
 * fuzzer goes over every route of /openapi.json and /openapi-compat.json. A message acknowledged
 * with 202 and never delivered, a 5xx to bad input, a 500 to a valid message, or a Herald process
 * that died by itself fails it. Faults this machine cannot make (no PostgreSQL binaries, not
 * root for the tmpfs) are skipped rows, named in the table.
 */
test('chaos (short): nothing accepted is lost, no 5xx for bad input', { timeout: 600_000 }, async (t) => {
  const profile = PROFILES.short;
  const log = (line: string) => t.diagnostic(line);
  const results = [await runPostgres(profile, log), await runSqlite(profile, log)];
  const rows = results.flatMap((r) => r.rows);
  for (const line of formatTable(rows).split('\n')) t.diagnostic(line);
  for (const r of rows) for (const n of r.notes) t.diagnostic(`${r.scenario} (${r.store}): ${n}`);
  const failures = verdict(
    rows,
    results.flatMap((r) => r.crashes),
  );
  const ran = rows.filter((r) => !r.skipped);
  assert.ok(
    ran.some((r) => r.accepted > 0),
    'the load got messages accepted',
  );
  assert.ok(
    ran.every((r) => r.bad5xx === undefined || r.faults > 0),
    'the fuzzer sent requests',
  );
  assert.deepEqual(
    failures,
    [],
    results
      .flatMap((r) => r.log)
      .join('\n')
      .slice(-20_000),
  );
});
