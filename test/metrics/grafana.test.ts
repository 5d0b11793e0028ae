import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMetrics } from '../../src/metrics.ts';

const DASHBOARD = join(import.meta.dirname, '..', '..', 'deploy', 'grafana', 'herald.json');

/** The shipped dashboard charts only series Herald exposes (catches a renamed metric). */
test('deploy/grafana/herald.json queries only series that Herald exposes', async () => {
  const dash = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: { title: string; targets: { expr: string }[]; datasource: { uid: string } }[];
  };
  const m = createMetrics({ defaults: true });
  const families = new Set((await m.registry.getMetricsAsJSON()).map((f) => f.name));
  const exposed = (name: string) =>
    families.has(name) ||
    ['_bucket', '_sum', '_count'].some((s) => name.endsWith(s) && families.has(name.slice(0, -s.length)));
  assert.ok(dash.panels.length >= 10);
  for (const p of dash.panels) {
    assert.equal(p.datasource.uid, '${datasource}', `${p.title}: uses the dashboard's data source variable`);
    for (const t of p.targets) {
      const names = t.expr.match(/herald_[a-z0-9_]+/g) ?? [];
      assert.ok(names.length > 0, `${p.title}: ${t.expr}`);
      for (const n of names) assert.ok(exposed(n), `${p.title}: ${n} is not a Herald series`);
    }
  }
});
