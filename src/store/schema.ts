import type { Generated } from 'kysely';

/**
 * Kysely's view of the tables. Times are integer milliseconds since the epoch in both stores
 * (PostgreSQL `bigint`, parsed to number); JSON is stored as text so one code path serves both.
 */
export interface MessagesTable {
  id: string;
  channel: string;
  provider: string | null;
  lane: string;
  recipient: string;
  sender: string | null;
  subject: string | null;
  body_text: string | null;
  body_html: string | null;
  payload: string | null;
  /** SMS parts (migration 0007). */
  segments: number | null;
  priority: number;
  categories: number;
  unique_id: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  campaign_id: string | null;
  contact_id: string | null;
  state: string;
  reason: string | null;
  attempts: number;
  max_attempts: number;
  due_at: number;
  not_after: number | null;
  lease_owner: string | null;
  lease_until: number | null;
  provider_message_id: string | null;
  engagement: number;
  metadata: string | null;
  created_at: number;
  sent_at: number | null;
  delivered_at: number | null;
  updated_at: number;
}

export interface AttemptsTable {
  id: Generated<number>;
  message_id: string;
  number: number;
  provider: string | null;
  started_at: number;
  duration_ms: number;
  outcome: string;
  status_code: number | null;
  response: string | null;
  error: string | null;
}

export interface EventsTable {
  id: Generated<number>;
  message_id: string;
  at: number;
  type: string;
  from_state: string | null;
  to_state: string | null;
  source: string;
  detail: string | null;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  scopes: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  /** Migration 0006: null = never expires. */
  expires_at: number | null;
  /** Migration 0006: 1 for the key that came from HERALD_API_KEY. */
  env: number;
  /** Migration 0006: id of the key that created this one (null: environment, generated or CLI). */
  created_by: string | null;
}

/** Who did what to which object, when, from where (migration 0006). `detail` is JSON text. */
export interface AuditLogTable {
  id: string;
  at: number;
  actor_id: string | null;
  actor_name: string;
  action: string;
  object_type: string;
  object_id: string | null;
  address: string | null;
  detail: string | null;
}

export interface MigrationsTable {
  version: number;
  name: string;
  applied_at: number;
}

/** Contacts (migration 0004): campaign recipients. `attributes` is JSON text. */
export interface ContactsTable {
  id: string;
  phone: string | null;
  email: string | null;
  operator_code: string | null;
  tag: string | null;
  timezone: string;
  attributes: string | null;
  created_at: number;
  updated_at: number;
}

/** Campaigns (migration 0004). `filter` is JSON text; `checkpoint` is the last contact fanned out. */
export interface CampaignsTable {
  id: string;
  name: string | null;
  channel: string;
  provider: string | null;
  sender: string | null;
  subject: string | null;
  text: string;
  filter: string;
  start_at: number;
  end_at: number;
  window_from: string | null;
  window_to: string | null;
  priority: number;
  state: string;
  checkpoint: string | null;
  fanout_done: number;
  fanned_out: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** Migration 0007: an e-mail campaign's HTML, its pinned template, its category flags. */
  html: string | null;
  template_id: string | null;
  template_version: number | null;
  template_locale: string | null;
  categories: number;
}

/** Migration 0008: campaign events dispatched (0 none, 1 started, 2 started and finished); the dispatcher's only. */
export interface CampaignEventsColumns {
  events_sent: Generated<number>;
}

/** Stored templates (migration 0007); `latest` is the newest version number. */
export interface TemplatesTable {
  id: string;
  name: string;
  channel: string;
  description: string | null;
  latest: number;
  created_at: number;
  updated_at: number;
}

/** Immutable template versions; `variants` is JSON `{locale: {subject?, text?, html?, body?}}`. */
export interface TemplateVersionsTable {
  template_id: string;
  version: number;
  default_locale: string;
  variants: string;
  created_at: number;
}

/** What the `outbox` provider "delivered" (migration 0002). */
export interface OutboxTable {
  id: string;
  channel: string;
  provider: string;
  recipient: string;
  sender: string | null;
  subject: string | null;
  body_text: string | null;
  body_html: string | null;
  metadata: string | null;
  created_at: number;
}

/** Latency histogram columns shared by provider_stats and stats_minute/stats_hour: lat_i counts bucket i. */
export interface LatencyBuckets {
  latency_ms_sum: number;
  lat_0: number;
  lat_1: number;
  lat_2: number;
  lat_3: number;
  lat_4: number;
  lat_5: number;
  lat_6: number;
  lat_7: number;
  lat_8: number;
  lat_9: number;
  lat_10: number;
  lat_11: number;
  lat_12: number;
}

/** Provider calls per provider and minute (migration 0002); lat_i: calls within latency bucket i. */
export interface ProviderStatsTable extends LatencyBuckets {
  provider: string;
  minute: number;
  calls: number;
  messages: number;
  ok: number;
  transient: number;
  permanent: number;
}

/** Message counters per minute, channel and provider (migration 0005); lat_i: delivery latency bucket i. */
export interface StatsMinuteTable extends LatencyBuckets {
  minute: number;
  channel: string;
  provider: string;
  accepted: number;
  sent: number;
  delivered: number;
  failed: number;
  retried: number;
  /** SMS parts accepted (migration 0007). */
  segments: number;
}

/** Opt-out category flags per normalised recipient (migration 0003). */
export interface PreferencesTable {
  recipient: string;
  opt_out: number;
  updated_at: number;
}

/** Recipients never to send to (migration 0003); source: api | bounce | spam. */
export interface SuppressionsTable {
  recipient: string;
  reason: string | null;
  source: string;
  created_at: number;
}

/** Values made once and kept (migration 0007). */
export interface SettingsTable {
  name: string;
  value: string;
  created_at: number;
}

/** Event endpoints (migration 0008). `events` and `filter` are JSON text. */
export interface EndpointsTable {
  id: string;
  url: string;
  description: string | null;
  events: string;
  filter: string | null;
  enabled: number;
  secret: string;
  previous_secret: string | null;
  previous_until: number | null;
  failing_since: number | null;
  disabled_reason: string | null;
  disabled_at: number | null;
  created_at: number;
  updated_at: number;
}

/** One event to one endpoint or callback URL (migration 0008): a queue row like a message. */
export interface EventDeliveriesTable {
  id: string;
  event_id: string;
  type: string;
  message_id: string | null;
  endpoint_id: string | null;
  url: string;
  lane: string;
  body: string;
  state: string;
  reason: string | null;
  attempts: number;
  max_attempts: number;
  due_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  status_code: number | null;
  replay_of: string | null;
  created_at: number;
  updated_at: number;
}

export interface EventAttemptsTable {
  id: Generated<number>;
  delivery_id: string;
  number: number;
  started_at: number;
  duration_ms: number;
  outcome: string;
  status_code: number | null;
  response: string | null;
  error: string | null;
}

/** A message's one-off callback (migration 0008); `events` is a JSON list, null = every type. */
export interface MessageCallbacksTable {
  message_id: string;
  url: string;
  events: string | null;
}

/** The dispatcher's place in `events` (migration 0008). */
export interface EventCursorTable {
  name: string;
  last_id: number;
  last_tx: number;
}

/** Queue depth per open state, kept by triggers on messages (migration 0013); one row per slot. */
export interface MessageDepthTable {
  state: string;
  /** SQLite: 0. PostgreSQL: the writing backend's pid; 0 for the initial and folded counts. */
  slot: number;
  n: number;
}

export interface Database {
  messages: MessagesTable;
  message_depth: MessageDepthTable;
  attempts: AttemptsTable;
  events: EventsTable;
  api_keys: ApiKeysTable;
  herald_migrations: MigrationsTable;
  preferences: PreferencesTable;
  suppressions: SuppressionsTable;
  outbox: OutboxTable;
  provider_stats: ProviderStatsTable;
  contacts: ContactsTable;
  campaigns: CampaignsTable & CampaignEventsColumns;
  templates: TemplatesTable;
  template_versions: TemplateVersionsTable;
  herald_settings: SettingsTable;
  stats_minute: StatsMinuteTable;
  /** Same columns; `minute` is the hour's first minute. */
  stats_hour: StatsMinuteTable;
  audit_log: AuditLogTable;
  endpoints: EndpointsTable;
  event_deliveries: EventDeliveriesTable;
  event_attempts: EventAttemptsTable;
  message_callbacks: MessageCallbacksTable;
  event_cursor: EventCursorTable;
}
