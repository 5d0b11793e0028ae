/**
 * Status events (issue 13): does a dead endpoint (connection refused) and a slow one (answers after
 * 5 s), both subscribed to every message event, slow down message delivery? The same drain as the
 * delivery section (`herald worker`, N preloaded webhooks to a keep-alive sink), run without
 * endpoints, with the two bad endpoints, and without again; the figure is the ratio to the mean of
 * the two runs without, measured in the same section.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openStore } from '../../src/store/open-store.ts';
import { EVENT_TYPES } from '../../src/events/model.ts';
import type { Figure } from '../lib/results.ts';
import {
  BACKENDS,
  IN_FLIGHT,
  STORE_NAME,
  bracketed,
  cpuNote,
  drainedWithCpu,
  fmt,
  preloadedDatabase,
  resetSink,
  startHerald,
  startServer,
  type Backend,
  type Ctx,
} from '../lib/subjects.ts';
import type { Measured, Section } from './section.ts';

const DRAIN_DEADLINE_MS = 180_000;
const SLOW_MS = 5000;
const ISSUE_13 = 'issue 13';

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** A port nothing listens on: connections are refused. */
async function deadPort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

async function drain(
  ctx: Ctx,
  backend: Backend,
  sink: string,
  endpoints: string[],
): Promise<{ rate: number; note: string }> {
  const n = ctx.deliveries;
  const db = await preloadedDatabase(ctx, backend, sink, n);
  try {
    await subscribe(db.url, endpoints);
    await resetSink(sink);
    const worker = await startHerald('worker', db.url);
    try {
      const s = await drainedWithCpu(worker.proc, sink, n, DRAIN_DEADLINE_MS);
      const seconds = (s.lastAt - s.firstAt) / 1000;
      const cpu = s.cpu ? `; ${cpuNote(s.cpu, 'delivery')}` : '';
      return {
        rate: seconds > 0 ? s.count / seconds : 0,
        note: s.complete
          ? `${fmt(s.count)} delivered in ${seconds.toFixed(2)} s${cpu}`
          : `INCOMPLETE: ${fmt(s.count)} of ${fmt(n)} within ${DRAIN_DEADLINE_MS / 1000} s`,
      };
    } finally {
      await worker.proc.stop();
    }
  } finally {
    await db.drop();
  }
}

/** The section's two bad endpoints: one whose port refuses connections, one that answers after SLOW_MS. */
export async function badEndpoints(): Promise<{ urls: string[]; close(): Promise<void> }> {
  const slow = createServer((req, res) => {
    req.resume();
    req.on('end', () => setTimeout(() => res.writeHead(200).end('ok'), SLOW_MS).unref());
  });
  const slowUrl = `http://127.0.0.1:${await listen(slow)}/events`;
  const deadUrl = `http://127.0.0.1:${await deadPort()}/events`;
  return {
    urls: [deadUrl, slowUrl],
    close: async () => {
      slow.closeAllConnections();
      await new Promise((r) => slow.close(r));
    },
  };
}

/** Subscribes each of `urls` to every `message.*` event in the database at `dbUrl`. */
export async function subscribe(dbUrl: string, urls: readonly string[]): Promise<void> {
  if (urls.length === 0) return;
  const store = await openStore({ url: dbUrl });
  try {
    const events = EVENT_TYPES.filter((t) => t.startsWith('message.'));
    for (const url of urls) await store.endpoints.create({ url, events }, Date.now());
  } finally {
    await store.close();
  }
}

async function events(ctx: Ctx): Promise<Measured> {
  const sink = await startServer('sink');
  const bad = await badEndpoints();
  const n = ctx.deliveries;
  const figures: Figure[] = [];
  const checks: Measured['checks'] = [];
  const warnings: string[] = [];
  try {
    for (const b of BACKENDS) {
      const before = await drain(ctx, b, sink.url, []);
      const withBad = await drain(ctx, b, sink.url, bad.urls);
      const after = await drain(ctx, b, sink.url, []);
      const base = bracketed(before.rate, after.rate);
      if (base.warning) warnings.push(`${STORE_NAME[b]}: ${base.warning}`);
      const scenario = `webhook delivery, ${fmt(n)} preloaded, with and without bad event endpoints`;
      const command = 'herald worker (HERALD_WEBHOOK_CONCURRENCY=32)';
      figures.push(
        {
          id: `${b}-none`,
          scenario,
          system: 'herald',
          label: `herald worker, ${STORE_NAME[b]}, no endpoints`,
          value: base.mean,
          unit: 'deliveries/s',
          note: `mean of ${fmt(before.rate)} (before the run with endpoints) and ${fmt(after.rate)} (after it)`,
          command,
        },
        {
          id: `${b}-bad`,
          scenario,
          system: 'herald',
          label: `herald worker, ${STORE_NAME[b]}, a dead and a slow (5 s) endpoint on every message event`,
          value: withBad.rate,
          unit: 'deliveries/s',
          note: withBad.note,
          command,
        },
      );
      checks.push({ figure: `${b}-bad`, reference: `${b}-none`, goal: { ratio: 0.9, source: ISSUE_13 } });
    }
  } finally {
    await sink.proc.stop();
    await bad.close();
  }
  return {
    ...(warnings.length ? { warning: warnings.join(' ') } : {}),
    about: [
      `The delivery section's drain (${fmt(n)} webhooks preloaded, \`herald worker\`, ${IN_FLIGHT} in flight to a keep-alive sink), three times per store: without event endpoints, with two endpoints subscribed to every \`message.*\` event — one whose port refuses connections, one that answers after ${SLOW_MS / 1000} s — and without again.`,
      'With the endpoints, each delivery is an event (`message.delivered`) for both: the dispatcher queues two event deliveries per message while the drain runs, the dead one trips its breaker, the slow one holds its 4 connections. The figure compares the drain rate with the mean of the two runs without endpoints (goal: at least 0.9×, issue 13).',
    ],
    figures,
    checks,
  };
}

export const EVENTS: Section = {
  name: 'events',
  title: 'Status events: a dead and a slow endpoint',
  run: events,
};
