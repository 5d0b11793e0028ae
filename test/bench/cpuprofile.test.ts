import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { analyse, type CpuProfile } from '../../bench/lib/cpuprofile.ts';

const ROOT = '/repo';
const file = (p: string) => pathToFileURL(`${ROOT}/${p}`).href;
const frame = (id: number, functionName: string, url: string, children: number[] = []) => ({
  id,
  callFrame: { functionName, url, lineNumber: 0 },
  children,
});

/** root → ingest → (driver `run`, Fastify reply → http → socket write → native write), GC, idle. */
const profile: CpuProfile = {
  startTime: 1_000_000,
  nodes: [
    frame(1, '(root)', '', [2, 6, 7]),
    frame(2, 'accept', file('src/queue/ingest.ts'), [3, 8]),
    frame(3, 'run', file('src/store/node-sqlite-driver.ts')),
    frame(6, '(garbage collector)', ''),
    frame(7, '(idle)', ''),
    frame(8, 'send', file('node_modules/fastify/lib/reply.js'), [9]),
    frame(9, 'end', 'node:_http_outgoing', [10]),
    frame(10, 'writeGeneric', 'node:internal/stream_base_commons', [11]),
    frame(11, 'writeUtf8String', ''),
  ],
  // Each sample lasts until the next one: 1 ms apart.
  samples: [3, 3, 3, 11, 11, 6, 7, 7, 7, 7, 2, 3],
  timeDeltas: [0, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000, 1000],
};

const byGroup = (a: ReturnType<typeof analyse>) => Object.fromEntries(a.groups.map((g) => [g.group, g.selfMs]));

test('groups self time: node:sqlite by its caller in src/store, node core by the library it works for', () => {
  const a = analyse(profile, ROOT);
  assert.equal(a.totalMs, 11);
  assert.equal(a.idleMs, 4);
  assert.deepEqual(byGroup(a), {
    'node:sqlite (statement runs, incl. fsync)': 3,
    'node core: socket writes ← Fastify': 2,
    GC: 1,
    'Herald: src/queue/ingest.ts': 1,
  });
  // busy share excludes idle: 3 of 7 busy ms.
  assert.equal(a.groups[0]!.busyShare, 3 / 7);
  assert.equal(a.top[0]!.name, 'run');
});

test('counts only the samples inside the window', () => {
  // Samples at 1.000 s + i ms; keep i = 3..5 (two native writes and one GC sample).
  const a = analyse(profile, ROOT, { fromUs: 1_003_000, toUs: 1_005_000 });
  assert.deepEqual(byGroup(a), { 'node core: socket writes ← Fastify': 2, GC: 1 });
});
