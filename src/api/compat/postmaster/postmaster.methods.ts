import { isFlagSet } from '../../../domain/categories.ts';
import { postmasterStateFlags } from '../../../domain/state-flags.ts';
import type { Message } from '../../../domain/message.ts';
import { isFinal } from '../../../domain/states.ts';
import { AppError } from '../../../errors/app-error.ts';
import { PreferenceService } from '../../../services/preferences.ts';
import type { AppDeps } from '../../deps.ts';
import { inTheirWords } from '../common.ts';
import { invalidParams, namedParams, type MethodResult, type RpcMethod } from './jsonrpc.ts';

/** Checks named params field by field; collects every problem (answered as one -32602). */
class Params {
  readonly problems: string[] = [];
  private readonly p: Record<string, unknown>;
  constructor(p: Record<string, unknown>) {
    this.p = p;
  }
  str(name: string, required: boolean): string | undefined {
    const v = this.p[name];
    if (v === undefined || v === null || v === '') {
      if (required) this.problems.push(`${name} is required`);
      return undefined;
    }
    if (typeof v !== 'string') return void this.problems.push(`${name} must be a string`);
    return v;
  }
  flags(name: string, required: boolean): number | undefined {
    const v = this.p[name];
    if (v === undefined || v === null) {
      if (required) this.problems.push(`${name} is required`);
      return undefined;
    }
    if (!isFlagSet(v)) return void this.problems.push(`${name} must be a non-negative integer bit mask`);
    return v;
  }
  object(name: string): Record<string, unknown> | undefined {
    const v = this.p[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) return void this.problems.push(`${name} must be an object`);
    return v as Record<string, unknown>;
  }
  invalid(): MethodResult | undefined {
    return this.problems.length > 0 ? invalidParams(`Invalid params: ${this.problems.join('; ')}`) : undefined;
  }
}

function withParams(fn: (p: Params) => Promise<MethodResult>): RpcMethod {
  return async (raw) => {
    const named = namedParams(raw);
    if (!named) return invalidParams('Invalid params: expected an object of named parameters');
    return fn(new Params(named));
  };
}

const SUCCESS: MethodResult = { ok: true, result: { success: true } };

/** Postmaster's stat for GetLastEmail: times in Unix seconds, error set once the message failed. */
export function statView(m: Message) {
  const failedEnd = isFinal(m.state) && m.state !== 'delivered';
  return {
    recipient: m.recipient,
    emailFlags: m.categories,
    stateFlags: postmasterStateFlags(m.state, m.engagement),
    uniqueID: m.uniqueId ?? '',
    tsCreated: Math.floor(m.createdAt / 1000),
    tsUpdated: Math.floor(m.updatedAt / 1000),
    error: failedEnd ? (m.reason ?? m.state) : '',
  };
}

/**
 * Seed 001's methods over Herald's use cases: Enqueue → MessageService (e-mail, categories =
 * flags; `@test` recipients are accepted and completed by the provider router without sending),
 * UpdatePrefs → preferences, GetLastEmail → the newest message with that uniqueID.
 */
export function postmasterMethods(deps: AppDeps): Map<string, RpcMethod> {
  const prefs = new PreferenceService({ store: deps.store, clock: deps.clock });
  const recipients = deps.store.recipients;
  return new Map<string, RpcMethod>([
    [
      'Postmaster.Enqueue',
      withParams(async (p) => {
        const to = p.str('to', true);
        const from = p.str('from', true);
        const subject = p.str('subject', true);
        const html = p.str('html', false);
        const text = p.str('text', false);
        const toName = p.str('toName', false);
        const fromName = p.str('fromName', false);
        const uniqueArgs = p.object('uniqueArgs');
        const flags = p.flags('flags', false);
        const uniqueId = p.str('uniqueID', false);
        if (
          html === undefined &&
          text === undefined &&
          !p.problems.some((x) => x.startsWith('html') || x.startsWith('text'))
        )
          p.problems.push('html or text is required');
        const invalid = p.invalid();
        if (invalid) return invalid;
        const metadata = Object.fromEntries(
          Object.entries({ toName, fromName, uniqueArgs }).filter(([, v]) => v !== undefined),
        );
        let msgs;
        try {
          msgs = inTheirWords({ '/categories': 'flags', '/uniqueId': 'uniqueID' }, () =>
            deps.messages.compose([
              {
                channel: 'email',
                to,
                from,
                subject,
                html,
                text,
                categories: flags,
                uniqueId,
                metadata: Object.keys(metadata).length > 0 ? metadata : undefined,
              },
            ]),
          );
        } catch (err) {
          if (err instanceof AppError && err.code === 'HERALD_VALIDATION')
            return invalidParams(`Invalid params: ${err.message}`);
          throw err;
        }
        await deps.messages.accept(msgs);
        return SUCCESS;
      }),
    ],
    [
      'Postmaster.UpdatePrefs',
      withParams(async (p) => {
        const email = p.str('email', true);
        const flags = p.flags('flags', true);
        const invalid = p.invalid();
        if (invalid) return invalid;
        const r = await prefs.set(email!, flags);
        return r.ok ? SUCCESS : invalidParams(`Invalid params: ${r.problem}`);
      }),
    ],
    [
      'Postmaster.GetLastEmail',
      withParams(async (p) => {
        const to = p.str('to', true);
        const uniqueId = p.str('uniqueID', true);
        const invalid = p.invalid();
        if (invalid) return invalid;
        const m = await recipients.lastByUniqueId(to!, uniqueId!);
        return { ok: true, result: { stat: m ? statView(m) : null } };
      }),
    ],
  ]);
}
