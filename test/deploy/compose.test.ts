import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { runProcess } from '../helpers/cli.ts';

const DEPLOY = join(import.meta.dirname, '..', '..', 'deploy');
const COMPOSE = join(DEPLOY, 'compose.yaml');
const require = createRequire(import.meta.url);
/** The Compose specification's JSON schema, as the dclint package ships it (a current copy). */
const SCHEMA_FILE = join(dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');
const DCLINT = join(dirname(require.resolve('dclint/package.json')), 'bin', 'dclint.cjs');

interface Service {
  command?: string[];
  environment?: Record<string, string>;
  deploy?: { replicas?: number };
  healthcheck?: { test?: string[]; disable?: boolean };
  profiles?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  stop_grace_period?: string;
}
type Compose = { services: Record<string, Service> } & Record<string, unknown>;

/** compose.yaml with its anchors and merge keys resolved, as Compose reads it. */
const load = (text = readFileSync(COMPOSE, 'utf8')) => parse(text, { merge: true }) as Compose;

function validator() {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  // A draft-07 schema; Ajv knows draft 07 under its http:// name only, and uses it by default.
  const { $schema: _draft07, ...schema } = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
  return ajv.compile(schema);
}

const env = { PATH: process.env.PATH ?? '' };
const have = (tool: string) => ['/usr/bin', '/bin', '/usr/sbin'].some((d) => existsSync(join(d, tool)));

void describe('deploy/compose.yaml', () => {
  void test('is valid against the Compose specification’s JSON schema', () => {
    const validate = validator();
    assert.ok(validate(load()), JSON.stringify(validate.errors, null, 2));
  });

  void test('and the schema check fails on a broken file (the test can fail)', () => {
    const validate = validator();
    const broken = readFileSync(COMPOSE, 'utf8')
      .replace('interval: 5s', 'intervall: 5s')
      .replace('condition: service_healthy', 'condition: service_ready');
    assert.equal(validate(load(broken)), false);
    const where = validate.errors!.map((e) => e.instancePath);
    assert.ok(where.includes('/services/postgres/healthcheck'), where.join(', '));
    assert.ok(where.includes('/services/migrate/depends_on/postgres/condition'), where.join(', '));
  });

  void test('dclint (a Compose linter) reports no error', async () => {
    const r = await runProcess(process.execPath, [DCLINT, '--quiet', '--color', 'false', COMPOSE], { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  void test('PostgreSQL, a migration first, two API and two worker replicas, health checks on their own ports', () => {
    const { services } = load();
    assert.ok(services.postgres?.healthcheck?.test?.includes('pg_isready'));
    assert.deepEqual(services.migrate?.command, ['migrate']);
    for (const [name, port] of [
      ['api', services.api?.environment?.PORT],
      ['worker', services.worker?.environment?.HERALD_METRICS_PORT],
    ] as const) {
      const s = services[name]!;
      assert.deepEqual(s.command, [name]);
      assert.equal(s.deploy?.replicas, 2, `${name} replicas`);
      assert.match(s.environment?.DATABASE_URL ?? '', /^postgres:\/\/.*@postgres:5432\/herald$/);
      assert.ok(port, `${name} has a port for its checks`);
      assert.ok(
        s.healthcheck?.test?.some((t) => t.includes(`http://127.0.0.1:${port}/readyz`)),
        `${name} checks /readyz on ${port}`,
      );
      assert.deepEqual(s.depends_on, { migrate: { condition: 'service_completed_successfully' } });
      // Longer than HERALD_SHUTDOWN_TIMEOUT_MS (10 s): deliveries in flight finish.
      assert.equal(s.stop_grace_period, '30s');
    }
  });

  void test('the load balancer checks /readyz on every API replica (haproxy -c when installed)', async (t) => {
    const cfg = readFileSync(join(DEPLOY, 'compose', 'haproxy.cfg'), 'utf8');
    assert.match(cfg, /option httpchk GET \/readyz/);
    assert.match(cfg, /server-template api \d+ api:3000 check/);
    if (!have('haproxy')) return t.skip('haproxy is not installed here (apt-get install haproxy)');
    const r = await runProcess('haproxy', ['-c', '-f', join(DEPLOY, 'compose', 'haproxy.cfg')], { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  void test('Prometheus and Grafana are optional (profile monitoring), with Herald’s dashboard', async (t) => {
    const { services } = load();
    assert.deepEqual(services.prometheus?.profiles, ['monitoring']);
    assert.deepEqual(services.grafana?.profiles, ['monitoring']);
    for (const [name, s] of Object.entries(services))
      if (!['prometheus', 'grafana'].includes(name)) assert.equal(s.profiles, undefined, `${name} always runs`);
    assert.ok(services.grafana?.volumes?.includes('./grafana/herald.json:/var/lib/grafana/dashboards/herald.json:ro'));
    // Every file the services mount is in the repository (the dashboard comes from docs/metrics.md's work).
    for (const s of Object.values(services))
      for (const v of s.volumes ?? []) {
        const from = v.split(':')[0]!;
        if (!from.startsWith('./')) continue;
        if (from === './grafana/herald.json' && !existsSync(join(DEPLOY, from)))
          t.diagnostic('deploy/grafana/herald.json is not in this tree yet');
        else assert.ok(existsSync(join(DEPLOY, from)), `${from} exists`);
      }
    if (!have('promtool')) return t.skip('promtool is not installed here (apt-get install prometheus)');
    // promtool wants the credentials file to exist: point it at a temporary one.
    const dir = mkdtempSync(join(tmpdir(), 'herald-prom-'));
    writeFileSync(join(dir, 'key'), 'hk_test\n');
    const yml = readFileSync(join(DEPLOY, 'compose', 'prometheus.yml'), 'utf8');
    writeFileSync(join(dir, 'prometheus.yml'), yml.replaceAll('/run/secrets/herald_metrics_key', join(dir, 'key')));
    const r = await runProcess('promtool', ['check', 'config', join(dir, 'prometheus.yml')], { env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });
});
