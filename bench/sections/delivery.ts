/**
 * Delivery: draining N preloaded webhook messages to a keep-alive sink (`herald worker`, the BullMQ
 * Worker, pg-boss `work`, a bare undici loop), and end to end: accepting single messages for the
 * load's duration (64 connections) and delivering each to the sink (`herald serve`, the peers in
 * one process each, a bare relay). Every rate is taken at the sink: deliveries from the first to the
 * last arrival (drains), or from the first request to the last arrival (end to end).
 */
import { createSchema, dropSchema } from '../lib/pg.ts';
import { runToEnd, wallMs } from '../lib/proc.ts';
import type { Figure } from '../lib/results.ts';
import type { CpuPerRequest, LoadResult } from '../lib/load.ts';
import {
  BACKENDS,
  IN_FLIGHT,
  KEY,
  SERVERS,
  STORE_NAME,
  bare202,
  bodyFile,
  bracketed,
  bullmqQueue,
  cpuNote,
  drained,
  drainedWithCpu,
  fmt,
  freshDatabase,
  latencyNote,
  loadPost,
  preloadedDatabase,
  resetSink,
  startHerald,
  startPeer,
  startServer,
  type Backend,
  type Ctx,
  type SinkStats,
} from '../lib/subjects.ts';
import { ISSUE, type Measured, type Section } from './section.ts';

const DRAIN_DEADLINE_MS = 180_000;
const E2E_DEADLINE_MS = 120_000;

interface Drain {
  rate: number;
  note: string;
}

/** Deliveries per second between the first and the last arrival at the sink (+ the CPU per delivery, when measured). */
function drainRate(s: SinkStats & { complete: boolean; cpu?: CpuPerRequest }, n: number): Drain {
  const seconds = (s.lastAt - s.firstAt) / 1000;
  const rate = seconds > 0 ? s.count / seconds : 0;
  const note = s.complete
    ? `${fmt(s.count)} delivered in ${seconds.toFixed(2)} s (first to last arrival)`
    : `INCOMPLETE: ${fmt(s.count)} of ${fmt(n)} within ${DRAIN_DEADLINE_MS / 1000} s`;
  return { rate, note: s.cpu ? `${note}; ${cpuNote(s.cpu, 'delivery')}` : note };
}

async function bareLoop(sink: string, n: number): Promise<Drain> {
  await resetSink(sink);
  await runToEnd(process.execPath, [SERVERS, 'undici', sink, String(n), String(IN_FLIGHT)]);
  return drainRate(await drained(sink, n, DRAIN_DEADLINE_MS), n);
}

/** n messages preloaded through `herald api`, then drained by `herald worker`. */
async function heraldDrain(ctx: Ctx, backend: Backend, sink: string, n: number): Promise<Drain> {
  const db = await preloadedDatabase(ctx, backend, sink, n);
  try {
    await resetSink(sink);
    const worker = await startHerald('worker', db.url);
    try {
      return drainRate(await drainedWithCpu(worker.proc, sink, n, DRAIN_DEADLINE_MS), n);
    } finally {
      await worker.proc.stop();
    }
  } finally {
    await db.drop();
  }
}

async function peerDrain(peer: 'bullmq' | 'pgboss', sink: string, n: number): Promise<Drain> {
  const schema = peer === 'pgboss' ? await createSchema('pgboss') : undefined;
  try {
    await resetSink(sink);
    const p = await startPeer(peer, 'deliver', [sink, schema ?? bullmqQueue(), String(n), String(IN_FLIGHT)], false);
    try {
      return drainRate(await drainedWithCpu(p.proc, sink, n, DRAIN_DEADLINE_MS), n);
    } finally {
      await p.proc.stop();
    }
  } finally {
    if (schema) await dropSchema(schema);
  }
}

async function delivery(ctx: Ctx): Promise<Measured> {
  const n = ctx.deliveries;
  const sink = await startServer('sink');
  const scenario = `webhook delivery, ${fmt(n)} preloaded`;
  const unit = 'deliveries/s';
  const fig = (id: string, system: Figure['system'], label: string, d: Drain, command: string): Figure => ({
    id,
    scenario,
    system,
    label,
    value: d.rate,
    unit,
    note: d.note,
    command,
  });
  const figures: Figure[] = [];
  let bare: ReturnType<typeof bracketed>;
  try {
    const before = await bareLoop(sink.url, n);
    for (const b of BACKENDS)
      figures.push(
        fig(
          `herald-${b}`,
          'herald',
          `herald worker, ${STORE_NAME[b]}`,
          await heraldDrain(ctx, b, sink.url, n),
          'herald worker (HERALD_WEBHOOK_CONCURRENCY=32)',
        ),
      );
    figures.push(
      fig(
        'bullmq',
        'bullmq',
        `BullMQ Worker, concurrency ${IN_FLIGHT}`,
        await peerDrain('bullmq', sink.url, n),
        `node bench/peers/bullmq.ts deliver <sink> <queue> ${n} ${IN_FLIGHT}`,
      ),
    );
    figures.push(
      fig(
        'pg-boss',
        'pg-boss',
        `pg-boss work, ${IN_FLIGHT} in flight`,
        await peerDrain('pgboss', sink.url, n),
        `node bench/peers/pgboss.ts deliver <sink> <schema> ${n} ${IN_FLIGHT}`,
      ),
    );
    const after = await bareLoop(sink.url, n);
    bare = bracketed(before.rate, after.rate);
    figures.unshift(
      fig(
        'bare',
        'bare',
        `bare undici loop, ${IN_FLIGHT} in flight`,
        { rate: bare.mean, note: bare.note },
        `node bench/servers.ts undici <sink> ${n} ${IN_FLIGHT}`,
      ),
    );
  } finally {
    await sink.proc.stop();
  }
  return {
    ...(bare.warning ? { warning: bare.warning } : {}),
    about: [
      `${fmt(n)} webhook messages are stored first (Herald: through \`herald api\`'s batch route; BullMQ: \`addBulk\`; pg-boss: \`insert\`), then one process delivers them all to a keep-alive HTTP sink answering 200, ${IN_FLIGHT} requests in flight.`,
      'Rate = deliveries between the first and the last arrival at the sink (start-up and preloading are not counted). Herald records every attempt and state change durably, and logs each attempt at `debug` (off by default).',
      `pg-boss: ${process.env.BENCH_PGBOSS_WORKERS ?? 4} pollers (localConcurrency) fetching batches of ${Math.floor(IN_FLIGHT / Number(process.env.BENCH_PGBOSS_WORKERS ?? 4))}, fetching again at once while batches are full.`,
    ],
    figures,
    checks: [
      { figure: 'herald-sqlite', reference: 'bare', goal: { ratio: 0.6, source: ISSUE } },
      { figure: 'herald-postgres', reference: 'bare', goal: { ratio: 0.5, source: ISSUE } },
      { figure: 'herald-sqlite', reference: 'bullmq', goal: { ratio: 1.5, source: ISSUE } },
      { figure: 'herald-postgres', reference: 'bullmq', goal: { ratio: 1.5, source: ISSUE } },
      { figure: 'herald-postgres', reference: 'pg-boss', goal: { ratio: 4, source: ISSUE } },
    ],
  };
}

interface EndToEnd {
  accept: LoadResult;
  delivered: number;
  rate: number;
  note: string;
}

/** Loads `url` with single messages for ctx.seconds, then waits for the sink to have them all. */
async function acceptAndDeliver(ctx: Ctx, url: string, body: string, sink: string, token?: string): Promise<EndToEnd> {
  await resetSink(sink);
  const t0 = wallMs();
  const accept = await loadPost(ctx, url, body, 64, token);
  // The sink may get a few more than the load counted: requests cut off by the load's end still land.
  const s = await drained(sink, accept.ok, E2E_DEADLINE_MS, 500);
  const seconds = (s.lastAt - t0) / 1000;
  const note = s.complete
    ? `${fmt(s.count)} accepted and delivered in ${seconds.toFixed(1)} s (load ${ctx.seconds} s)`
    : `INCOMPLETE: ${fmt(s.count)} of ${fmt(accept.ok)} delivered within ${E2E_DEADLINE_MS / 1000} s of the load's end`;
  return { accept, delivered: s.count, rate: seconds > 0 ? s.count / seconds : 0, note };
}

async function endToEnd(ctx: Ctx): Promise<Measured> {
  const sink = await startServer('sink');
  const body = bodyFile(ctx, 'e2e', { channel: 'webhook', url: `${sink.url}/e2e`, body: { order: 1, status: 'paid' } });
  const scenario = 'end to end: accept (c=64) + deliver';
  const busy = 'ingest while delivering (c=64)';
  const figures: Figure[] = [];
  const add = (
    id: string,
    system: Figure['system'],
    label: string,
    e: EndToEnd,
    command: string,
    acceptLabel?: string,
  ) => {
    figures.push({ id, scenario, system, label, value: e.rate, unit: 'delivered/s', note: e.note, command });
    if (acceptLabel)
      figures.push({
        id: `${id}-accept`,
        scenario: busy,
        system,
        label: acceptLabel,
        value: e.accept.rps,
        unit: 'req/s',
        note: latencyNote(e.accept),
        command: e.accept.command,
      });
  };
  try {
    const relay = await startServer('relay', sink.url, String(IN_FLIGHT));
    try {
      const e = await acceptAndDeliver(ctx, `${relay.url}/v1/messages`, body, sink.url);
      add(
        'relay',
        'bare',
        `bare relay (node:http 202 + undici, ${IN_FLIGHT} connections)`,
        e,
        `node bench/servers.ts relay <port> <sink> ${IN_FLIGHT}; ${e.accept.command}`,
        'bare relay',
      );
    } finally {
      await relay.proc.stop();
    }
    for (const b of BACKENDS) {
      const db = await freshDatabase(ctx, b);
      try {
        const h = await startHerald('serve', db.url);
        try {
          const e = await acceptAndDeliver(ctx, `${h.url}/v1/messages`, body, sink.url, KEY);
          add(
            `herald-${b}`,
            'herald',
            `herald serve, ${STORE_NAME[b]}`,
            e,
            `herald serve; ${e.accept.command}`,
            `herald serve, ${STORE_NAME[b]}`,
          );
        } finally {
          await h.proc.stop();
        }
      } finally {
        await db.drop();
      }
    }
    const q = await startPeer('bullmq', 'serve', [bullmqQueue(), String(IN_FLIGHT)], true);
    try {
      const e = await acceptAndDeliver(ctx, `${q.url}/v1/messages`, body, sink.url);
      add(
        'bullmq',
        'bullmq',
        'Fastify + BullMQ Queue.add + Worker',
        e,
        `node bench/peers/bullmq.ts serve <port> <queue> ${IN_FLIGHT}; ${e.accept.command}`,
        'Fastify + BullMQ (its Worker busy)',
      );
    } finally {
      await q.proc.stop();
    }
    const schema = await createSchema('pgboss');
    try {
      const p = await startPeer('pgboss', 'serve', [schema, String(IN_FLIGHT)], true);
      try {
        const e = await acceptAndDeliver(ctx, `${p.url}/v1/messages`, body, sink.url);
        add(
          'pg-boss',
          'pg-boss',
          'Fastify + pg-boss send + work',
          e,
          `node bench/peers/pgboss.ts serve <port> <schema> ${IN_FLIGHT}; ${e.accept.command}`,
          'Fastify + pg-boss (its worker busy)',
        );
      } finally {
        await p.proc.stop();
      }
    } finally {
      await dropSchema(schema);
    }
  } finally {
    await sink.proc.stop();
  }
  const shared = ctx.memo.has('bare202');
  const bare = await bare202(ctx);
  figures.push({
    id: 'bare202',
    scenario: busy,
    system: 'bare',
    label: 'bare node:http answering 202 (idle)',
    value: bare.rps,
    unit: 'req/s',
    note: shared ? 'the single-message ingest baseline of this run' : latencyNote(bare),
    command: bare.command,
  });
  return {
    about: [
      `For the load's ${ctx.seconds} s, single webhook messages (64 connections) whose URL is the sink; each is delivered to the keep-alive sink, ${IN_FLIGHT} requests in flight.`,
      'Delivered/s = deliveries at the sink ÷ the time from the first request to the last delivery. The bare relay answers 202 and sends each request on with undici (nothing stored).',
      "The same runs give the ingest rate while the process's workers are busy delivering.",
    ],
    figures,
    checks: [
      { figure: 'herald-sqlite', reference: 'relay', goal: { ratio: 0.5, source: ISSUE } },
      { figure: 'herald-postgres', reference: 'relay', goal: { ratio: 0.5, source: ISSUE } },
      { figure: 'herald-sqlite', reference: 'bullmq', remark: 'no goal in issue 10' },
      { figure: 'herald-postgres', reference: 'pg-boss', remark: 'no goal in issue 10' },
      { figure: 'herald-sqlite-accept', reference: 'bare202', remark: "no goal; issue 10's table had 0.17–0.24" },
      { figure: 'herald-postgres-accept', reference: 'bare202', remark: 'no goal in issue 10' },
    ],
  };
}

export const DELIVERY: Section = { name: 'delivery', title: 'Webhook delivery', run: delivery };
export const END_TO_END: Section = { name: 'e2e', title: 'End to end: accept and deliver', run: endToEnd };
