import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderReport } from '../../bench/lib/report.ts';
import type { MachineFacts, Results } from '../../bench/lib/results.ts';

const machine: MachineFacts = {
  date: '2026-12-01T00:00:00Z',
  cpus: '2 × test',
  memory: '1 GiB',
  load: '0.10 → 0.20',
  node: 'Node v24',
  tool: 'wrk 4',
  sqlite: 'SQLite 3',
  commit: 'abc1234',
};

const results: Results = {
  history: [],
  sections: {
    ingest: {
      name: 'ingest',
      title: 'Single-message ingest',
      command: 'npm run bench',
      machine,
      about: [],
      seconds: 1,
      figures: [
        { id: 'bare', scenario: 's', system: 'bare', label: 'bare', value: 1000, unit: 'req/s', command: 'wrk' },
        {
          id: 'herald-sqlite',
          scenario: 's',
          system: 'herald',
          label: 'herald api',
          value: 800,
          unit: 'req/s',
          command: 'wrk',
        },
        {
          id: 'herald-postgres',
          scenario: 's',
          system: 'herald',
          label: 'herald pg',
          value: 500,
          unit: 'req/s',
          command: 'wrk',
        },
      ],
      checks: [
        { figure: 'herald-sqlite', reference: 'bare', goal: { ratio: 0.7, source: 'issue 10' } },
        { figure: 'herald-postgres', reference: 'bare', goal: { ratio: 0.6, source: 'issue 10' } },
      ],
    },
  },
};

test('renders each goal with its same-run ratio and verdict', () => {
  const doc = renderReport(results, '');
  assert.match(doc, /1 of 2 goals met/);
  assert.match(
    doc,
    /\| herald api \| \*\*800 req\/s\*\* \| bare: 1,000 req\/s \| \*\*0\.80×\*\* \| ≥ 0\.7× \(issue 10\) \| ✅ met \|/,
  );
  assert.match(
    doc,
    /\| herald pg \| \*\*500 req\/s\*\* \| bare: 1,000 req\/s \| \*\*0\.50×\*\* \| ≥ 0\.6× \(issue 10\) \| ❌ not met \|/,
  );
});

test("keeps the soak test's and the hand-written marked sections of the previous document", () => {
  const soak = '<!-- soak:start -->\n## Soak\n\n24 h, no loss\n<!-- soak:end -->';
  const notes = '<!-- notes:start -->\nmy notes\n<!-- notes:end -->';
  const other = '<!-- extra:start -->\nkept too\n<!-- extra:end -->';
  const doc = renderReport(results, `# old\n\n${soak}\n\nold figures\n\n${other}\n\n${notes}\n`);
  assert.ok(doc.includes(soak) && doc.includes(notes) && doc.includes(other));
  assert.ok(!doc.includes('old figures'));
  assert.ok(doc.indexOf(notes) > doc.indexOf(soak));
  // Without a previous document the soak section still has its place.
  assert.match(renderReport(results, ''), /<!-- soak:start -->[\s\S]*<!-- soak:end -->/);
});
