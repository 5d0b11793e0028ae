import type { Clock } from '../domain/clock.ts';
import type { NewMessage } from '../domain/message.ts';
import { carrierOf, type ChannelRoutes } from '../domain/lanes.ts';
import type { Metrics } from '../metrics.ts';
import type { InsertResult, Store } from '../store/store.ts';
import { GroupCommit } from './group-commit.ts';
import type { StatsRecorder } from '../stats/recorder.ts';

/**
 * Durable ingestion with group commit: requests that arrive together are inserted in one
 * transaction, and each is answered only after that transaction commits. A request's own
 * messages (a batch, a postback with N data objects) always land in the same transaction.
 */
export class Ingest {
  private readonly store: Store;
  private readonly clock: Clock;
  private readonly metrics: Metrics;
  private readonly stats: StatsRecorder | undefined;
  private readonly group: GroupCommit<readonly NewMessage[], InsertResult[]>;
  private readonly listeners: (() => void)[] = [];
  private readonly screen: ((messages: NewMessage[]) => Promise<void>) | undefined;
  private readonly routes: ChannelRoutes;
  private readonly labels = new Map<string, Map<string, { channel: string; provider: string }>>();

  constructor(deps: {
    store: Store;
    clock: Clock;
    metrics: Metrics;
    stats?: StatsRecorder;
    /** Settles new messages that must never be sent (preferences, suppression list); once per group. */
    screen?: (messages: NewMessage[]) => Promise<void>;
    /**
     * The built routes (ProviderSet.routes): an accepted message is counted (metrics, dashboard)
     * under carrierOf — the provider it names, else the first of its channel's route — so
     * "accepted" and "delivered" line up per provider.
     */
    routes?: ChannelRoutes;
  }) {
    this.screen = deps.screen;
    this.routes = deps.routes ?? {};
    this.store = deps.store;
    this.clock = deps.clock;
    this.metrics = deps.metrics;
    this.stats = deps.stats;
    this.group = new GroupCommit(
      async (requests) => {
        const all = requests.flat();
        // One screening lookup for the whole group: opted-out or suppressed recipients are stored as `suppressed`.
        if (this.screen) await this.screen(all);
        const flat = await this.store.messages.insertMany(all, this.clock.now());
        this.committed(all, flat);
        const out: InsertResult[][] = [];
        let i = 0;
        for (const r of requests) {
          out.push(flat.slice(i, i + r.length));
          i += r.length;
        }
        return out;
      },
      200,
      this.store.caps.commitsInFlight,
    );
  }

  /** Commits the messages of one request together; resolves after the commit. */
  submit(messages: readonly NewMessage[]): Promise<InsertResult[]> {
    return this.group.submit(messages);
  }

  /**
   * After a group commits: its new messages counted (metrics, dashboard) once per group and label
   * set rather than per request, and the listeners told once.
   */
  private committed(messages: readonly NewMessage[], results: readonly InsertResult[]): void {
    // Per label set: [messages, SMS segments]. A group is usually one or two label sets.
    const counts = new Map<{ channel: string; provider: string }, [number, number]>();
    for (let i = 0; i < results.length; i++) {
      if (results[i]!.kind !== 'created') continue;
      const m = messages[i]!;
      const labels = this.acceptedLabels(m.channel, carrierOf(m.channel, m.provider, this.routes));
      const c = counts.get(labels);
      if (c) {
        c[0]++;
        c[1] += m.segments ?? 0;
      } else counts.set(labels, [1, m.segments ?? 0]);
    }
    for (const [labels, [n, segments]] of counts) {
      this.metrics.accepted.inc(labels, n);
      this.stats?.accepted(labels.channel, labels.provider, n, segments);
    }
    if (counts.size > 0) this.notify();
  }

  /** The label set of herald_messages_accepted_total for a channel and provider: made once, reused. */
  private acceptedLabels(channel: string, provider: string): { channel: string; provider: string } {
    let byProvider = this.labels.get(channel);
    if (!byProvider) this.labels.set(channel, (byProvider = new Map()));
    let labels = byProvider.get(provider);
    if (!labels) byProvider.set(provider, (labels = { channel, provider }));
    return labels;
  }

  /** Tells listeners that messages may be due (new ones, or re-queued ones). */
  notify(): void {
    for (const fn of this.listeners) fn();
  }

  /** Called after new messages commit (the worker in this process wakes up). */
  onCommitted(fn: () => void): void {
    this.listeners.push(fn);
  }

  drain(): Promise<void> {
    return this.group.drain();
  }
}
