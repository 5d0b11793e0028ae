import type { Capabilities, Dialect } from './capabilities.ts';
import type { Attempt, Message, MessageEvent, NewMessage } from '../domain/message.ts';
import type { Channel } from '../domain/message.ts';
import type { MessageState } from '../domain/states.ts';
import type { ContactRepo } from './contacts.repo.ts';
import type { CampaignRepo } from './campaigns.repo.ts';
import type { ApiKeyRepo } from './api-keys.repo.ts';
import type { AuditRepo } from './audit.repo.ts';
import type { StatsRepo } from './stats.repo.ts';
import type { KyselyProviderStatsRepo } from './provider-stats.repo.ts';
import type { TemplateRepo } from './templates.repo.ts';
import type { KyselySettingsRepo } from './settings.repo.ts';
import type { KyselySuppressionRepo } from './suppressions.repo.ts';
import type { KyselyPreferenceRepo } from './preferences.repo.ts';
import type { KyselyOutboxRepo } from './outbox.repo.ts';
import type { KyselyRecipientRepo } from './recipients.repo.ts';
import type { ScreeningRepo } from './screening.repo.ts';
import type { KyselyMessageBulkRepo } from './message-bulk.repo.ts';
import type { KyselyRetentionRepo } from './retention.repo.ts';
import type { KyselyErasureRepo } from './erasure.repo.ts';
import type { KyselyEndpointRepo } from './endpoints.repo.ts';
import type { KyselyEventDeliveryRepo } from './event-deliveries.repo.ts';

/** Result of inserting one message. */
export type InsertResult =
  | { kind: 'created'; id: string; state: MessageState }
  /** The idempotency key was seen with the same request: the first message. */
  | { kind: 'existing'; id: string; state: MessageState }
  /** The idempotency key was seen with a different request. */
  | { kind: 'conflict'; id: string; state: MessageState };

export interface MessageFilter {
  state?: MessageState | undefined;
  channel?: Channel | undefined;
  provider?: string | undefined;
  recipient?: string | undefined;
  /** Recipients that start with this text (case-insensitive for ASCII letters). */
  recipientPrefix?: string | undefined;
  /** Recipients that contain this text (case-insensitive for ASCII letters). */
  recipientContains?: string | undefined;
  /** The id the provider gave the message (exact). */
  providerMessageId?: string | undefined;
  campaignId?: string | undefined;
  /** Created at or after (ms). */
  since?: number | undefined;
  /** Created before (ms). */
  until?: number | undefined;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null at the end. */
  nextCursor: string | null;
}

export interface ClaimOptions {
  /** The worker's lease owner id. */
  owner: string;
  limit: number;
  now: number;
  leaseMs: number;
  /** Lanes not to claim from (full, or breaker open). */
  excludeLanes?: readonly string[] | undefined;
}

/** What the worker decided about one claimed message. Applied in one batched transaction. */
export interface Completion {
  id: string;
  owner: string;
  to: 'queued' | 'sent' | 'delivered' | 'failed' | 'expired' | 'suppressed';
  at: number;
  reason?: string | null | undefined;
  /** For `queued`: when to try again. */
  dueAt?: number | undefined;
  /** Whether this counts against the attempt budget (false for a breaker release). */
  countsAttempt: boolean;
  provider?: string | undefined;
  providerMessageId?: string | undefined;
  attempt?: Omit<Attempt, 'messageId'> | undefined;
  event: { type: string; source: string; detail?: string | null | undefined };
}

export interface MessageDetail extends Message {
  attemptLog: Attempt[];
  events: MessageEvent[];
}

/** A state change from outside the worker: an operator's action or a provider's receipt. */
export interface StateChange {
  to: MessageState;
  at: number;
  reason?: string | null | undefined;
  source: string;
  type: string;
  detail?: string | null | undefined;
  /** Engagement flags to OR in (opens, clicks, spam), whatever the state. */
  engagement?: number | undefined;
}

export type ChangeResult =
  { kind: 'changed'; message: Message } | { kind: 'unchanged'; message: Message } | { kind: 'not_found' };

/**
 * What every message of one campaign fan-out page shares (decision 0031): written once per page,
 * not once per message. `content` is set when every contact gets the same subject, text and HTML
 * (no template, no placeholders); then the rows carry none of their own.
 */
export interface CampaignPageShared {
  channel: Channel;
  provider: string | null;
  lane: string;
  sender: string | null;
  priority: number;
  categories: number;
  campaignId: string;
  maxAttempts: number;
  notAfter: number | null;
  content?: CampaignContent | undefined;
}

/** A campaign message's content: the page's (shared) or one contact's. */
export interface CampaignContent {
  subject: string | null;
  text: string | null;
  html: string | null;
  /** SMS: the parts the text takes; null for e-mail. */
  segments: number | null;
}

/** One contact's part of its fan-out message. */
export interface CampaignPageRow {
  recipient: string;
  contactId: string;
  dueAt: number;
  /** `queued`, or the state it is born in: `expired` (window after the end), `failed` (content). */
  state: MessageState;
  reason: string | null;
  /** Its own content; ignored (may be null) when the page shares one. */
  content: CampaignContent | null;
}

/**
 * The message store: the table that is the queue (ARCHITECTURE decision 4), with the batched
 * operations the pipeline needs. Every write is one transaction.
 */
export interface MessageRepo {
  /** Inserts messages in one transaction; idempotency keys already seen return the first message. */
  insertMany(messages: readonly NewMessage[], now: number): Promise<InsertResult[]>;
  /**
   * Writes one page of a campaign's fan-out: a message per row, the rest of it from `shared`.
   * The rows and event rows are those insertMany writes for the same messages (no idempotency
   * keys, no callbacks); the shared values are bound once (decision 0031). Returns the ids, in order.
   */
  insertCampaignPage(shared: CampaignPageShared, rows: readonly CampaignPageRow[], now: number): Promise<string[]>;
  get(id: string): Promise<Message | undefined>;
  /** The message with its attempts and events, oldest first. */
  detail(id: string): Promise<MessageDetail | undefined>;
  /** Newest first, keyset-paginated on id (UUIDv7 = creation order). */
  list(filter: MessageFilter, limit: number, cursor?: string): Promise<Page<Message>>;
  /** Takes up to `limit` due queued messages with a lease, highest priority first. */
  claim(opts: ClaimOptions): Promise<Message[]>;
  /** Applies worker decisions; each is guarded by state `sending` and the lease owner. Returns how many applied. */
  complete(completions: readonly Completion[]): Promise<number>;
  /**
   * complete() then claim() in one transaction — on SQLite one call to its thread. The worker
   * uses it when the store has one writer (caps.commitsInFlight 1): the next claim rides on the
   * group commit of outcomes (docs/decisions/0029). All or nothing: a fault claims nothing.
   */
  completeAndClaim(completions: readonly Completion[], claim: ClaimOptions): Promise<CompleteAndClaimResult>;
  /**
   * Extends to `until` the leases of messages still in hand; with `renewBefore`, only those ending
   * before it (the rest have time left, and each renewal is a row write: docs/decisions/0034).
   */
  extendLeases(ids: readonly string[], owner: string, until: number, renewBefore?: number): Promise<void>;
  /** Puts messages whose lease ran out back in the queue. Returns how many. */
  reapLeases(now: number): Promise<number>;
  /** Ends queued messages whose not_after has passed as `expired`. Returns how many. */
  expireOverdue(now: number): Promise<number>;
  /** Moves a message along the state machine if the edge is allowed (receipts, cancel). */
  changeState(id: string, change: StateChange): Promise<ChangeResult>;
  /** Same, finding the message by the provider's id. */
  changeStateByProviderId(providerMessageId: string, change: StateChange): Promise<ChangeResult>;
  /** Re-queues a failed/expired/bounced message with a fresh attempt budget. */
  retry(id: string, now: number, maxAttempts: number): Promise<ChangeResult>;
  /** Message counts by state (queue depth). */
  countByState(): Promise<Record<string, number>>;
  /**
   * The id and state of the message a provider knows by `providerMessageId` (receipts that carry
   * only the provider's id); the newest wins if a provider ever reused an id.
   */
  findByProviderMessageId(providerMessageId: string): Promise<{ id: string; state: MessageState } | undefined>;
}

/** What the worker needs of a queue: the message table, or the event deliveries (issue 13). */
export type DeliveryQueue = Pick<MessageRepo, 'claim' | 'complete' | 'extendLeases' | 'reapLeases' | 'expireOverdue'> &
  Partial<Pick<MessageRepo, 'completeAndClaim'>>;

/** What completeAndClaim did: decisions applied, and the messages it claimed (docs/decisions/0029). */
export interface CompleteAndClaimResult {
  applied: number;
  claimed: Message[];
}

export type { ApiKeyRecord, ApiKeyRepo } from './api-keys.repo.ts';

export type Writability = { ok: true } | { ok: false; reason: string };

export interface MigrationStatus {
  current: number;
  latest: number;
  applied: number[];
}

export interface Store {
  readonly dialect: Dialect;
  readonly caps: Capabilities;
  readonly messages: MessageRepo;
  readonly apiKeys: ApiKeyRepo;
  /** Contacts (campaign recipients). */
  readonly contacts: ContactRepo;
  /** Campaigns, their bulk message operations, and the scheduler's leader lock. */
  readonly campaigns: CampaignRepo;
  /** Who did what, when, from where (`tx.audit.record(…)` commits with the change). */
  readonly audit: AuditRepo;
  /** Per-minute message counters (dashboard) and the queue depth. */
  readonly stats: StatsRepo;
  /** Per-minute provider call counters (GET /v1/providers). */
  readonly providerStats: KyselyProviderStatsRepo;
  /** Stored templates and their versions. */
  readonly templates: TemplateRepo;
  /** Values made once and shared by every process (generated secrets). */
  readonly settings: KyselySettingsRepo;
  /** The suppression list (keys normalised by callers: recipientKey). */
  readonly suppressions: KyselySuppressionRepo;
  /** Opt-out category flags per recipient (keys normalised by callers). */
  readonly preferences: KyselyPreferenceRepo;
  /** Suppression entries and opt-out flags of many recipients in one round trip (ingest and worker screening). */
  readonly screening: ScreeningRepo;
  /** Messages caught by the `outbox` provider (GET /v1/outbox). */
  readonly outbox: KyselyOutboxRepo;
  /** Message look-ups by recipient (de-duplication by unique id). */
  readonly recipients: KyselyRecipientRepo;
  /** Retry and cancel by filter, counted first and applied in short keyset pages. */
  readonly bulk: KyselyMessageBulkRepo;
  /** Retention: final messages past the policy, deleted with their attempts and events in small batches. */
  readonly retention: KyselyRetentionRepo;
  /** Erasure of one person's data (GDPR Art. 17). */
  readonly erasure: KyselyErasureRepo;
  /** Event endpoints and their signing secrets (migration 0008). */
  readonly endpoints: KyselyEndpointRepo;
  /** Status events: the outbox dispatcher, the deliveries' queue, their log, replay, retention (purgeOlderThan). */
  readonly eventDeliveries: KyselyEventDeliveryRepo;
  /** Runs pending migrations (serialised between processes); refuses a database newer than the code. */
  migrate(): Promise<MigrationStatus>;
  migrationStatus(): Promise<MigrationStatus>;
  /** Throws if the database does not answer. */
  ping(): Promise<void>;
  /**
   * Whether the store can take writes now (readiness): a small write commits, no availability
   * fault (unreachable, full, busy, I/O) was met in the last few seconds, and for SQLite the
   * disk has room. Never throws.
   */
  writable(): Promise<Writability>;
  /**
   * PostgreSQL only (caps.listenNotify): calls `onWake` when another process commits new queued
   * messages (NOTIFY herald_messages), on a dedicated connection that reconnects by itself after
   * an outage of any length (with backoff), and wakes once more after each reconnect.
   * Returns a function that stops listening. Polling stays the fallback.
   */
  listen?(onWake: () => void): Promise<() => Promise<void>>;
  /**
   * Runs `fn` with a store whose repositories all write in one transaction.
   * Nested calls reuse the outer transaction.
   */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
