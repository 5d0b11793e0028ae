import type { Config } from '../config/config.ts';
import type { Clock } from '../domain/clock.ts';
import {
  composeMessage,
  composePostbacks,
  requestHash,
  type ComposeContext,
  type MessageInput,
  type Problem,
} from '../domain/compose.ts';
import type { Channel, HttpMethod, NewMessage } from '../domain/message.ts';
import { carrierOf, type ChannelRoutes } from '../domain/lanes.ts';
import { canCancel } from '../domain/states.ts';
import { AppError } from '../errors/app-error.ts';
import { invalidRequest } from '../errors/validation.ts';
import type { Ingest } from '../queue/ingest.ts';
import type { ChangeResult, InsertResult, Store } from '../store/store.ts';

/**
 * The message use cases shared by the native API and every compatibility API: accept (one, a
 * batch, a postback), cancel, retry. Adapters translate their wire format to these calls.
 */
export class MessageService {
  private readonly store: Store;
  private readonly ingest: Ingest;
  private readonly clock: Clock;
  private readonly config: Config;
  private readonly routes: ChannelRoutes;

  /** `routes`: the built routes (ProviderSet.routes); without them, the configured ones. */
  constructor(deps: { store: Store; ingest: Ingest; clock: Clock; config: Config; routes?: ChannelRoutes }) {
    this.store = deps.store;
    this.ingest = deps.ingest;
    this.clock = deps.clock;
    this.config = deps.config;
    this.routes = deps.routes ?? deps.config.routes;
  }

  // The context's functions are made once: compose runs on every ingest request.
  private readonly maxAttemptsFor: ComposeContext['maxAttemptsFor'] = (channel, provider) =>
    this.defaultMaxAttempts(channel, provider);
  private readonly providerChannel: ComposeContext['providerChannel'] = (name) =>
    this.config.providers.find((p) => p.name === name)?.channel;

  composeContext(): ComposeContext {
    return {
      now: this.clock.now(),
      maxAttemptsFor: this.maxAttemptsFor,
      postbackDefaultValue: this.config.postbackDefaultValue,
      providerChannel: this.providerChannel,
      smsMaxSegments: this.config.content.smsMaxSegments,
    };
  }

  /** The attempt budget of a message that sets none: its provider's, its route's first provider's, or the global one. */
  defaultMaxAttempts(channel: Channel, provider?: string): number {
    // A webhook has no provider of its own: it gets the global budget unless it names one.
    const name = channel === 'webhook' ? provider : carrierOf(channel, provider, this.routes);
    const p = name === undefined ? undefined : this.config.providers.find((x) => x.name === name);
    return p?.retry.maxAttempts ?? this.config.worker.retry.maxAttempts;
  }

  /** Validates and composes, or throws HERALD_VALIDATION listing every problem. */
  compose(inputs: readonly MessageInput[], pathPrefix = ''): NewMessage[] {
    const ctx = this.composeContext();
    const problems: Problem[] = [];
    const out: NewMessage[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const r = composeMessage(inputs[i]!, ctx, inputs.length > 1 || pathPrefix ? `${pathPrefix}/${i}` : '');
      if (Array.isArray(r)) problems.push(...r);
      else out.push(r);
    }
    if (problems.length > 0) throw validation(problems);
    return out;
  }

  /**
   * Accepts messages in one transaction. With an idempotency key (one message only), a repeat of
   * the same request returns the first message; the key with another request is a 409.
   */
  accept(messages: NewMessage[], idempotency?: { key: string; body: unknown }): Promise<InsertResult[]> {
    if (idempotency) {
      if (messages.length !== 1)
        return Promise.reject(new AppError('HERALD_VALIDATION', 'Idempotency-Key applies to single-message requests'));
      messages[0]!.idempotencyKey = idempotency.key;
      messages[0]!.requestHash = requestHash(idempotency.body);
    }
    // Not an async function: one promise (the group commit's) and one reaction per request, no async frame.
    return this.ingest.submit(messages).then(noConflict);
  }

  /** Seed 004 postbacks: one webhook message per data object, one transaction. */
  async acceptPostbacks(
    endpoint: { method: HttpMethod; url: string },
    data: Record<string, unknown>[],
  ): Promise<InsertResult[]> {
    const r = composePostbacks(endpoint, data, this.composeContext());
    if (r.length > 0 && 'path' in r[0]!) throw validation(r as Problem[]);
    return this.ingest.submit(r as NewMessage[]);
  }

  async cancel(id: string): Promise<ChangeResult> {
    // Refused before any write, so that a refused cancel leaves no event on the message's timeline.
    const current = await this.store.messages.get(id);
    if (current && !canCancel(current.state)) throw notCancellable(current.state);
    const r = await this.store.messages.changeState(id, {
      to: 'cancelled',
      at: this.clock.now(),
      source: 'api',
      type: 'cancelled',
      reason: 'cancelled by request',
    });
    if (r.kind === 'not_found') throw new AppError('HERALD_NOT_FOUND', `No message ${id}`);
    if (r.kind === 'unchanged' && !canCancel(r.message.state)) throw notCancellable(r.message.state);
    return r;
  }

  async retry(id: string, maxAttempts?: number): Promise<ChangeResult> {
    const m = maxAttempts === undefined ? await this.store.messages.get(id) : undefined;
    const budget = maxAttempts ?? (m ? this.defaultMaxAttempts(m.channel, m.provider ?? undefined) : 1);
    const r = await this.store.messages.retry(id, this.clock.now(), budget);
    if (r.kind === 'not_found') throw new AppError('HERALD_NOT_FOUND', `No message ${id}`);
    if (r.kind === 'unchanged') {
      throw new AppError(
        'HERALD_INVALID_STATE',
        `The message is ${r.message.state}: only failed, expired or bounced messages can be retried`,
        { state: r.message.state },
      );
    }
    this.ingest.notify();
    return r;
  }
}

/** The results, or HERALD_IDEMPOTENCY_CONFLICT when a key was reused with another request. */
function noConflict(results: InsertResult[]): InsertResult[] {
  for (const r of results)
    if (r.kind === 'conflict') throw new AppError('HERALD_IDEMPOTENCY_CONFLICT', undefined, { id: r.id });
  return results;
}

function notCancellable(state: string): AppError {
  return new AppError(
    'HERALD_INVALID_STATE',
    `The message is ${state}: only a queued message can be cancelled (a provider may already have it)`,
    { state },
  );
}

/** HERALD_VALIDATION listing every problem (the one sentence per problem of api/plugins). */
export function validation(problems: Problem[]): AppError {
  return invalidRequest(problems);
}
