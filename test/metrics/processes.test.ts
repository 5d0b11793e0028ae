import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheus, { type ParsedFamily } from 'parse-prometheus-text-format';
import { eventually } from '../helpers/herald.ts';
import { startSink } from '../helpers/http-sink.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');
const KEY = 'hk_metrics_test_key_0123456789';
const PROMTOOL = spawnSync('promtool', ['--version']).status === 0;

/** Starts `herald <role>` as a real process; resolves with its base URL once it listens. */
async function herald(role: 'api' | 'worker', env: NodeJS.ProcessEnv): Promise<{ p: ChildProcess; url: string }> {
  const p = spawn(process.execPath, [MAIN, role], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const url = await eventually(() => /"address":"(http:\/\/[^"]+)"/.exec(out)?.[1], 30_000, `herald ${role} to listen`);
  return { p, url };
}

/** `promtool check metrics` on an exposition: its complaints (empty when clean). */
function promtool(text: string): string {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.trim();
}

const series = (families: ParsedFamily[], name: string) => families.find((f) => f.name === name)?.metrics ?? [];

/** `herald api` and `herald worker` as separate processes on one database: each serves its own metrics. */
describe('metrics from every role', () => {
  const procs: ChildProcess[] = [];
  let api = '';
  let worker = '';
  let metricsKey = '';
  let sink: Awaited<ReturnType<typeof startSink>>;
  before(async () => {
    sink = await startSink(() => ({ status: 200 }));
    const env = {
      ...process.env,
      DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'herald-metrics-')), 'h.db')}`,
      HERALD_API_KEY: KEY,
      HERALD_ALLOW_PRIVATE_NETWORKS: 'true',
      HERALD_POLL_MS: '50',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
    };
    const a = await herald('api', env);
    procs.push(a.p);
    api = a.url;
    const w = await herald('worker', env);
    procs.push(w.p);
    worker = w.url;
    const made = await fetch(`${api}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'prometheus', scopes: ['metrics'] }),
    });
    metricsKey = ((await made.json()) as { secret: string }).secret;
  });
  after(async () => {
    for (const p of procs) {
      p.kill('SIGTERM');
      if (p.exitCode === null) await new Promise((r) => p.once('exit', r));
    }
    await sink?.close();
  });

  const scrape = async (base: string, key = metricsKey) => {
    const r = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${key}` } });
    return { status: r.status, text: await r.text() };
  };

  test('a message flows; the api counts it accepted, the worker counts it delivered', async () => {
    const sent = await fetch(`${api}/v1/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'webhook', url: `${sink.url}/hook` }),
    });
    assert.equal(sent.status, 202);
    await fetch(`${api}/v1/messages/not-a-message`, { headers: { authorization: `Bearer ${KEY}` } });
    // Delivered is counted when the provider answers; the state commits just after: wait for both.
    const w = await eventually(async () => {
      const m = parsePrometheus((await scrape(worker)).text);
      const open = series(m, 'herald_queue_depth').reduce((n, s) => n + Number(s.value), 0);
      return series(m, 'herald_messages_delivered_total').length > 0 && open === 0 ? m : undefined;
    }, 20_000);
    assert.deepEqual(series(w, 'herald_messages_delivered_total')[0]!.labels, {
      channel: 'webhook',
      provider: 'webhook',
    });
    assert.equal(series(w, 'herald_attempt_duration_seconds')[0]!.buckets?.['+Inf'], '1');
    const lane = series(w, 'herald_lane_in_flight');
    assert.deepEqual(
      lane.map((s) => [s.labels?.lane, s.value]),
      [[`webhook:${new URL(sink.url).origin}`, '0']],
    );
    const depth = Object.fromEntries(series(w, 'herald_queue_depth').map((s) => [s.labels!.state, s.value]));
    assert.deepEqual(depth, { queued: '0', sending: '0', sent: '0' }, 'non-final states only, zeros kept');
    assert.ok(series(w, 'herald_process_resident_memory_bytes').length > 0, 'process metrics too');

    const a = parsePrometheus((await scrape(api)).text);
    assert.deepEqual(series(a, 'herald_messages_accepted_total')[0]!.labels, {
      channel: 'webhook',
      provider: 'webhook',
    });
    const http = series(a, 'herald_http_requests_total').map((s) => s.labels!);
    assert.ok(
      http.some((l) => l.route === '/v1/messages' && l.method === 'POST' && l.status === '202'),
      JSON.stringify(http),
    );
    assert.ok(
      http.some((l) => l.route === '/v1/messages/:id' && l.status === '400'),
      'the route pattern, not the raw URL',
    );
    assert.ok(!http.some((l) => l.route!.includes('not-a-message')));
    assert.ok(series(a, 'herald_http_request_duration_seconds').length > 0);
    assert.ok(!a.some((f) => f.type !== 'COUNTER' && f.name.endsWith('_total')), 'no gauge named _total');
  });

  test('/metrics takes a metrics key; other keys get 403, none 401; health is open', async () => {
    for (const base of [api, worker]) {
      assert.equal((await scrape(base)).status, 200);
      assert.equal((await fetch(`${base}/metrics`)).status, 401);
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
    }
    const made = await fetch(`${api}/v1/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'writer', scopes: ['messages:write'] }),
    });
    const writer = ((await made.json()) as { secret: string }).secret;
    assert.equal((await scrape(api, writer)).status, 403);
    assert.equal((await scrape(worker, writer)).status, 403);
  });

  test('promtool check metrics reports nothing on the api and the worker', async (t) => {
    if (!PROMTOOL) {
      t.skip('promtool is not installed (apt-get install prometheus); the parser checks above still ran');
      return;
    }
    for (const base of [api, worker]) {
      const { text } = await scrape(base);
      assert.equal(promtool(text), '', `promtool on ${base === api ? 'herald api' : 'herald worker'}`);
    }
  });
});
