/**
 * The benchmarks that live in files of their own: the campaign fan-out (bench/campaign-fanout.ts,
 * one line of JSON with `--json`) and the provider benchmarks (bench/providers.bench.ts, a markdown
 * section shown as it prints it).
 */
import { join } from 'node:path';
import type { FanoutResult } from '../campaign-fanout.ts';
import { HERALD_NODE_FLAGS } from '../../src/node-flags.ts';
import { runToEnd } from '../lib/proc.ts';
import type { Figure } from '../lib/results.ts';
import { fmt, type Ctx } from '../lib/subjects.ts';
import { ISSUE, type Measured, type Section } from './section.ts';

const BENCH = join(import.meta.dirname, '..');
const QUICK_CONTACTS = 100_000;

async function fanout(ctx: Ctx): Promise<Measured> {
  const contacts = ctx.quick ? String(QUICK_CONTACTS) : (process.env.BENCH_CAMPAIGN_CONTACTS ?? '1000000');
  const out = await runToEnd(process.execPath, [join(BENCH, 'campaign-fanout.ts'), '--json'], {
    env: { BENCH_CAMPAIGN_CONTACTS: contacts },
  });
  const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
  if (!line) throw new Error(`campaign-fanout.ts printed no result:\n${out}`);
  const results = JSON.parse(line.slice('BENCH_RESULT '.length)) as FanoutResult[];
  const figures: Figure[] = [];
  const command = `BENCH_CAMPAIGN_CONTACTS=${contacts} node bench/campaign-fanout.ts`;
  for (const r of results) {
    const store = r.backend === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    const note = `${fmt(r.contacts)} contacts; loading them took ${(r.loadMs / 1000).toFixed(1)} s`;
    figures.push(
      {
        id: `${r.backend}-rate`,
        scenario: `campaign fan-out, ${fmt(r.contacts)} contacts`,
        system: 'herald',
        label: `fan-out, ${store}`,
        value: (r.contacts / r.fanoutMs) * 1000,
        unit: 'messages/s',
        note,
        command,
      },
      {
        id: `${r.backend}-seconds`,
        scenario: 'fan-out time',
        system: 'herald',
        label: `fan-out time, ${store}`,
        value: r.fanoutMs / 1000,
        unit: 's',
        note,
        command,
      },
      {
        id: `${r.backend}-rss`,
        scenario: 'fan-out memory',
        system: 'herald',
        label: `peak RSS of the fan-out process, ${store}`,
        value: r.rssMb,
        unit: 'MB',
        note,
        command,
      },
    );
  }
  const full = Number(contacts) >= 1_000_000;
  const goal = (min?: number, max?: number) =>
    full
      ? { goal: { ...(min ? { min } : {}), ...(max ? { max } : {}), source: ISSUE } }
      : { remark: 'the goal is for 1,000,000 contacts' };
  return {
    about: [
      'One campaign (SMS, a template with an attribute, a 09:00–21:00 local window over five time zones) to every contact: time from its start to every message queued, through the scheduler (pages of 2,000 contacts, each page and its checkpoint in one transaction), and the peak RSS of that process.',
      `Fan-out process flags: \`${process.env.BENCH_FANOUT_NODE_FLAGS ?? HERALD_NODE_FLAGS.join(' ')}\` (Herald's own). No peer: BullMQ and pg-boss have no campaigns.`,
    ],
    figures,
    checks: [
      { figure: 'sqlite-seconds', ...goal(undefined, 30) },
      { figure: 'sqlite-rss', ...goal(undefined, 300) },
      { figure: 'postgres-seconds', remark: 'no goal for PostgreSQL' },
      { figure: 'postgres-rss', remark: 'no goal for PostgreSQL' },
    ],
  };
}

async function providers(ctx: Ctx): Promise<Measured> {
  const markdown = await runToEnd(process.execPath, [join(BENCH, 'providers.bench.ts')], {
    env: ctx.quick ? { BENCH_SMTP: '500' } : {},
  });
  // The script titles its own section; the document gives the title.
  return { about: [], figures: [], checks: [], markdown: markdown.replace(/^## .*\n+/, '').trim() };
}

export const FANOUT: Section = { name: 'fanout', title: 'Campaign fan-out', run: fanout };
export const PROVIDERS: Section = { name: 'providers', title: 'Providers (issue 3)', run: providers };
