/**
 * Ingest: single messages (`wrk -t1 -c64`) and batches of 1000 (`-c4`) through `herald api` on
 * SQLite and PostgreSQL, against the bare node:http 202 server (measured before and after Herald,
 * the mean is the baseline) and against the peers' Fastify + BullMQ `Queue.add` / pg-boss `send`.
 */
import { statSync } from 'node:fs';
import type { Figure } from '../lib/results.ts';
import type { LoadResult } from '../lib/load.ts';
import { createSchema, dropSchema } from '../lib/pg.ts';
import {
  BACKENDS,
  KEY,
  STORE_NAME,
  bodyFile,
  bracketed,
  cpuNote,
  bullmqQueue,
  freshDatabase,
  latencyNote,
  loadPost,
  startHerald,
  startPeer,
  startServer,
  webhookMessage,
  type Backend,
  type Ctx,
} from '../lib/subjects.ts';
import { ISSUE, type Measured, type Section } from './section.ts';

const SINGLE = '/v1/messages';
const BATCH = '/v1/messages/batch';
export const BATCH_SIZE = 1000;

async function heraldIngest(ctx: Ctx, backend: Backend, path: string, body: string, c: number): Promise<LoadResult> {
  const db = await freshDatabase(ctx, backend);
  try {
    const h = await startHerald('api', db.url);
    try {
      return await loadPost(ctx, `${h.url}${path}`, body, c, KEY, h.proc);
    } finally {
      await h.proc.stop();
    }
  } finally {
    await db.drop();
  }
}

async function peerIngest(
  ctx: Ctx,
  peer: 'bullmq' | 'pgboss',
  path: string,
  body: string,
  c: number,
): Promise<LoadResult> {
  const schema = peer === 'pgboss' ? await createSchema('pgboss') : undefined;
  try {
    const p = await startPeer(peer, 'ingest', [schema ?? bullmqQueue()], true);
    try {
      return await loadPost(ctx, `${p.url}${path}`, body, c, undefined, p.proc);
    } finally {
      await p.proc.stop();
    }
  } finally {
    if (schema) await dropSchema(schema);
  }
}

/** The bare 202 server (or the Fastify app storing nothing) under the single-message load. */
async function bare(ctx: Ctx, body: string, mode: 'baseline' | 'fastify' = 'baseline'): Promise<LoadResult> {
  const s = await startServer(mode);
  try {
    return await loadPost(ctx, `${s.url}${SINGLE}`, body, 64, undefined, s.proc);
  } finally {
    await s.proc.stop();
  }
}

const figure = (
  id: string,
  scenario: string,
  system: Figure['system'],
  label: string,
  r: LoadResult,
  perRequest = 1,
): Figure => ({
  id,
  scenario,
  system,
  label,
  value: r.rps * perRequest,
  unit: perRequest > 1 ? 'messages/s' : 'req/s',
  note: latencyNote(r),
  command: r.command,
});

async function single(ctx: Ctx): Promise<Measured> {
  const body = bodyFile(ctx, 'single', webhookMessage(0));
  const scenario = 'single-message ingest (c=64)';
  const before = await bare(ctx, body);
  const figures: Figure[] = [
    figure(
      'fastify',
      scenario,
      'bare',
      "Fastify + the peers' JSON schema, storing nothing",
      await bare(ctx, body, 'fastify'),
    ),
  ];
  for (const b of BACKENDS) {
    const r = await heraldIngest(ctx, b, SINGLE, body, 64);
    figures.push(figure(`herald-${b}`, scenario, 'herald', `herald api, ${STORE_NAME[b]}`, r));
  }
  figures.push(
    figure(
      'bullmq',
      scenario,
      'bullmq',
      'Fastify + BullMQ Queue.add (Redis)',
      await peerIngest(ctx, 'bullmq', SINGLE, body, 64),
    ),
  );
  figures.push(
    figure(
      'pg-boss',
      scenario,
      'pg-boss',
      'Fastify + pg-boss send (PostgreSQL)',
      await peerIngest(ctx, 'pgboss', SINGLE, body, 64),
    ),
  );
  const after = await bare(ctx, body);
  const b = bracketed(before.rps, after.rps);
  const mean = { ...before, rps: b.mean, bad: before.bad + after.bad };
  ctx.memo.set('bare202', mean);
  const cpu = before.cpu ? `; before: ${cpuNote(before.cpu)}` : '';
  figures.unshift({ ...figure('bare', scenario, 'bare', 'bare node:http answering 202', mean), note: b.note + cpu });
  return {
    ...(b.warning ? { warning: b.warning } : {}),
    about: [
      `One webhook message per request (\`POST /v1/messages\`, ${statSync(body).size} bytes of JSON, a bearer key), 64 connections.`,
      'Herald answers 202 only after the message is committed (SQLite `synchronous=FULL`, PostgreSQL default `synchronous_commit`).',
      'The peers are what a user would write instead: Fastify with a JSON schema in front of `Queue.add` (BullMQ: Redis acknowledges before its data reaches the disk) or `boss.send` (pg-boss, the same PostgreSQL).',
      "The CPU budget: each note gives the server's CPU per answered request from /proc (load generator excluded), per thread. On 2 cores the load generator and the server share the machine, so throughput follows CPU per request: the Fastify app that stores nothing already spends well above the bare server's CPU per request, which bounds what any Fastify service can reach against the bare server.",
    ],
    figures,
    checks: [
      { figure: 'herald-sqlite', reference: 'bare', goal: { ratio: 0.7, source: ISSUE } },
      {
        figure: 'fastify',
        reference: 'bare',
        remark: 'the ceiling of any Fastify route against the bare server: no store, no queue',
      },
      { figure: 'herald-sqlite', reference: 'fastify', remark: 'what the store and Herald add to a Fastify route' },
      { figure: 'herald-postgres', reference: 'bare', goal: { ratio: 0.6, source: ISSUE } },
      { figure: 'herald-sqlite', reference: 'bullmq', goal: { ratio: 1, source: `${ISSUE}: stay ahead of BullMQ` } },
      { figure: 'herald-postgres', reference: 'pg-boss', goal: { ratio: 4, source: ISSUE } },
    ],
  };
}

async function batch(ctx: Ctx): Promise<Measured> {
  const body = bodyFile(ctx, 'batch', { messages: Array.from({ length: BATCH_SIZE }, (_, i) => webhookMessage(i)) });
  const scenario = `batch ingest, ${BATCH_SIZE} per request (c=4)`;
  const figures: Figure[] = [];
  for (const b of BACKENDS) {
    const r = await heraldIngest(ctx, b, BATCH, body, 4);
    figures.push(figure(`herald-${b}`, scenario, 'herald', `herald api, ${STORE_NAME[b]}`, r, BATCH_SIZE));
  }
  figures.push(
    figure(
      'bullmq',
      scenario,
      'bullmq',
      'Fastify + BullMQ Queue.addBulk',
      await peerIngest(ctx, 'bullmq', BATCH, body, 4),
      BATCH_SIZE,
    ),
  );
  figures.push(
    figure(
      'pg-boss',
      scenario,
      'pg-boss',
      'Fastify + pg-boss insert',
      await peerIngest(ctx, 'pgboss', BATCH, body, 4),
      BATCH_SIZE,
    ),
  );
  return {
    about: [
      `${BATCH_SIZE} webhook messages per request (\`POST /v1/messages/batch\`, ${Math.round(statSync(body).size / 1024)} KiB), 4 connections; messages/s = requests/s × ${BATCH_SIZE}.`,
      'The goals are absolute rates (issue 10 names no baseline); the peers are shown beside them, measured in the same run.',
    ],
    figures,
    checks: [
      { figure: 'herald-sqlite', reference: 'bullmq', goal: { min: 150_000, source: ISSUE } },
      { figure: 'herald-postgres', reference: 'pg-boss', goal: { min: 100_000, source: ISSUE } },
    ],
  };
}

export const INGEST: Section = { name: 'ingest', title: 'Single-message ingest', run: single };
export const BATCH_INGEST: Section = { name: 'batch', title: 'Batch ingest', run: batch };
