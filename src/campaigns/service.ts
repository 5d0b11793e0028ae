/**
 * Campaign use cases shared by the native API and the seed 003 compat API: create, edit, delete,
 * pause, resume, cancel, statistics. The scheduler does the fan-out; `onChange` kicks it so that a
 * campaign whose start has come starts at once.
 */
import type { Config } from '../config/config.ts';
import type { Clock } from '../domain/clock.ts';
import type { Channel } from '../domain/message.ts';
import { AppError } from '../errors/app-error.ts';
import type { DeliveryTiming, StateCounts, TextUpdate } from '../store/campaigns.repo.ts';
import { countSegments } from '../providers/sms/segments.ts';
import type { Store } from '../store/store.ts';
import type { Campaign, CampaignFields } from './model.ts';
import { hasPlaceholders, renderTemplate } from './template.ts';
import { openingsAt } from './window.ts';

export interface CampaignStats {
  campaign: Campaign;
  counts: StateCounts;
  total: number;
  /** delivered / total (0 when there are no messages). */
  deliveryRate: number;
  timing: DeliveryTiming;
}

const RERENDER_PAGE = 1000;

export class CampaignService {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly config: Config;
  private readonly listeners: (() => void)[] = [];

  constructor(deps: { store: Store; clock: Clock; config: Config }) {
    this.store = deps.store;
    this.clock = deps.clock;
    this.config = deps.config;
  }

  /** Called after every change that may give the scheduler work. */
  onChange(fn: () => void): void {
    this.listeners.push(fn);
  }
  private changed(): void {
    for (const fn of this.listeners) fn();
  }

  providerChannel = (name: string): Channel | undefined => this.config.providers.find((p) => p.name === name)?.channel;

  /** Creates the campaign; one whose start has come (and end has not) is running at once. */
  async create(f: CampaignFields): Promise<Campaign> {
    const now = this.clock.now();
    const startNow = f.startAt <= now && now < f.endAt;
    const c = await this.store.campaigns.insert(f, startNow ? 'running' : 'scheduled', now);
    this.changed();
    return c;
  }

  async get(id: string): Promise<Campaign> {
    const c = await this.store.campaigns.get(id);
    if (!c) throw new AppError('HERALD_NOT_FOUND', `No campaign ${id}`);
    return c;
  }

  /**
   * Before the start every field can change. After it, the text, subject, priority, provider and
   * end also change the messages not yet sent; filter and window changes reach the contacts not
   * yet fanned out; the channel cannot change. Finished and cancelled campaigns are read-only.
   */
  async update(id: string, f: CampaignFields): Promise<Campaign> {
    const before = await this.get(id);
    const now = this.clock.now();
    if (before.state === 'finished' || before.state === 'cancelled')
      throw new AppError('HERALD_INVALID_STATE', `Campaign ${id} is ${before.state}; it can no longer change`);
    if (before.state !== 'scheduled' && f.channel !== before.channel)
      throw new AppError('HERALD_INVALID_STATE', 'The channel of a started campaign cannot change');
    if (
      before.state !== 'scheduled' &&
      (f.html !== before.html || JSON.stringify(f.template) !== JSON.stringify(before.template))
    )
      throw new AppError(
        'HERALD_INVALID_STATE',
        'The HTML body and template of a started campaign cannot change (its messages are rendered); cancel it and create another',
      );
    let after = (await this.store.campaigns.update(id, f, now))!;
    if (before.state === 'scheduled') {
      if (after.startAt <= now && now < after.endAt)
        after = (await this.store.campaigns.transition(id, ['scheduled'], 'running', now)) ?? after;
    } else {
      await this.applyToQueued(before, after, now);
    }
    this.changed();
    return after;
  }

  private async applyToQueued(before: Campaign, after: Campaign, now: number): Promise<void> {
    const textChanged = after.text !== before.text || after.subject !== before.subject;
    const perContact = hasPlaceholders(after.text) || (after.subject != null && hasPlaceholders(after.subject));
    const sameText = textChanged && !perContact;
    await this.store.campaigns.editQueued(
      after.id,
      {
        text: sameText ? after.text : undefined,
        segments: sameText ? segmentsOf(after, after.text) : undefined,
        subject: sameText ? (after.subject ?? undefined) : undefined,
        priority: after.priority !== before.priority ? after.priority : undefined,
        notAfter: after.endAt !== before.endAt ? after.endAt : undefined,
        provider: after.provider !== before.provider ? { name: after.provider, channel: after.channel } : undefined,
      },
      now,
    );
    if (textChanged && perContact) await this.rerenderQueued(after, now);
  }

  /** Renders the new text for each queued message from its contact, a page per transaction. */
  private async rerenderQueued(c: Campaign, now: number): Promise<void> {
    let cursor: string | null = null;
    for (;;) {
      const page = await this.store.campaigns.queuedPage(c.id, cursor, RERENDER_PAGE);
      if (page.length === 0) return;
      const updates: TextUpdate[] = [];
      for (const m of page) {
        const contact = await this.store.contacts.get(m.contactId);
        if (!contact) continue;
        const text = renderTemplate(c.text, contact);
        updates.push({ id: m.messageId, text, segments: segmentsOf(c, text) });
      }
      await this.store.campaigns.setTexts(updates, now);
      cursor = page[page.length - 1]!.messageId;
    }
  }

  /** Deletes the campaign; what it has not yet sent is cancelled first. Its messages stay (history). */
  async remove(id: string): Promise<void> {
    await this.get(id);
    const now = this.clock.now();
    await this.store.transaction(async (tx) => {
      await tx.campaigns.settleQueued(id, 'cancelled', now, 'campaign deleted');
      await tx.campaigns.delete(id);
    });
  }

  async pause(id: string): Promise<Campaign> {
    const now = this.clock.now();
    const c = await this.store.transaction(async (tx) => {
      const moved = await tx.campaigns.transition(id, ['running', 'scheduled'], 'paused', now);
      if (moved) await tx.campaigns.holdQueued(id, now);
      return moved;
    });
    return c ?? this.refuse(id, 'pause');
  }

  /** Resumes: held messages whose time has passed wait for the next opening of their window. */
  async resume(id: string): Promise<Campaign> {
    const now = this.clock.now();
    const current = await this.get(id);
    const c = await this.store.transaction(async (tx) => {
      const to = current.startAt <= now ? 'running' : 'scheduled';
      const moved = await tx.campaigns.transition(id, ['paused'], to, now);
      if (moved) await tx.campaigns.releaseHeld(id, now, openingsAt(now, moved.window), now);
      return moved;
    });
    if (c) this.changed();
    return c ?? this.refuse(id, 'resume');
  }

  /** Cancels: no more fan-out, queued messages are cancelled; what is already sending finishes. */
  async cancel(id: string): Promise<Campaign> {
    const now = this.clock.now();
    const c = await this.store.transaction(async (tx) => {
      const moved = await tx.campaigns.transition(id, ['scheduled', 'running', 'paused'], 'cancelled', now);
      if (moved) await tx.campaigns.settleQueued(id, 'cancelled', now, 'campaign cancelled');
      return moved;
    });
    return c ?? this.refuse(id, 'cancel');
  }

  private async refuse(id: string, action: string): Promise<never> {
    const c = await this.get(id);
    throw new AppError('HERALD_INVALID_STATE', `Cannot ${action} a ${c.state} campaign`);
  }

  async stats(id: string): Promise<CampaignStats> {
    const campaign = await this.get(id);
    const counts = (await this.store.campaigns.countByState([id])).get(id) ?? {};
    const timing = await this.store.campaigns.timing(id);
    return summarise(campaign, counts, timing);
  }

  /** Every campaign (newest first) with its counts by state. */
  async allStats(limit = 1000): Promise<{ campaign: Campaign; counts: StateCounts; total: number }[]> {
    const page = await this.store.campaigns.list(limit);
    const counts = await this.store.campaigns.countByState(page.items.map((c) => c.id));
    return page.items.map((campaign) => {
      const cs = counts.get(campaign.id) ?? {};
      return { campaign, counts: cs, total: sum(cs) };
    });
  }
}

/** The parts an SMS campaign's text takes (stored with the text, as fan-out does); none for e-mail. */
function segmentsOf(c: Campaign, text: string): number | undefined {
  return c.channel === 'sms' ? countSegments(text).segments : undefined;
}

function sum(counts: StateCounts): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

export function summarise(campaign: Campaign, counts: StateCounts, timing: DeliveryTiming): CampaignStats {
  const total = sum(counts);
  return { campaign, counts, total, deliveryRate: total === 0 ? 0 : (counts.delivered ?? 0) / total, timing };
}
