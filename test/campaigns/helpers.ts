import pino from 'pino';
import { loadConfig } from '../../src/config/config.ts';
import { ManualClock } from '../../src/domain/clock.ts';
import { CampaignScheduler } from '../../src/campaigns/scheduler.ts';
import { CampaignService } from '../../src/campaigns/service.ts';
import type { CampaignFields, NewContact } from '../../src/campaigns/model.ts';
import type { Store } from '../../src/store/store.ts';
import { databaseForTests } from '../../src/store/open-store.ts';

export const T0 = Date.parse('2026-01-10T12:00:00Z');
export const HOUR = 3_600_000;

export function contact(i: number, over: Partial<NewContact> = {}): NewContact {
  const phone = `79${String(i).padStart(9, '0')}`;
  return {
    phone,
    email: null,
    operatorCode: phone.slice(1, 4),
    tag: i % 2 === 0 ? 'even' : 'odd',
    timezone: 'Europe/Moscow',
    attributes: { name: `N${i}` },
    ...over,
  };
}

export function fields(over: Partial<CampaignFields> = {}): CampaignFields {
  return {
    name: 'test',
    channel: 'sms',
    provider: null,
    sender: null,
    subject: null,
    text: 'Hello {attributes.name}',
    html: null,
    template: null,
    categories: 0,
    filter: { operatorCodes: [], tags: [] },
    startAt: T0 - HOUR,
    endAt: T0 + 24 * HOUR,
    window: null,
    priority: 0,
    ...over,
  };
}

const schedulers: CampaignScheduler[] = [];

/** Stops every scheduler made by campaignKit (they hold the PostgreSQL leader connection). */
export async function stopSchedulers(): Promise<void> {
  for (const s of schedulers.splice(0)) await s.stop();
}

/** A campaign service and scheduler over a store, with a manual clock. */
export function campaignKit(store: Store, clock = new ManualClock(T0), pageSize = 7, smsMaxSegments?: number) {
  const config = loadConfig({ DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent' });
  const service = new CampaignService({ store, clock, config });
  const scheduler = new CampaignScheduler({
    store,
    clock,
    logger: pino({ level: process.env.HERALD_TEST_LOG ?? 'silent' }),
    maxAttempts: 3,
    pageSize,
    budgetMs: 60_000,
    smsMaxSegments: smsMaxSegments ?? config.content.smsMaxSegments,
  });
  schedulers.push(scheduler);
  return { clock, service, scheduler, config };
}

/** Contact id → number of messages of the campaign. */
export async function messagesPerContact(store: Store, campaignId: string): Promise<Map<string, number>> {
  const rows = await databaseForTests(store)
    .selectFrom('messages')
    .select(['contact_id', (eb) => eb.fn.countAll<number>().as('n')])
    .where('campaign_id', '=', campaignId)
    .groupBy('contact_id')
    .execute();
  return new Map(rows.map((r) => [r.contact_id!, Number(r.n)]));
}
