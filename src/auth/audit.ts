import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { Clock } from '../domain/clock.ts';
import type { Store } from '../store/store.ts';
import { actorOf } from '../api/plugins/auth.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The audit action of a route that changes something (`campaign.cancel`): a successful call is
     * recorded in the audit log before the answer goes out. docs/api.md#audit-log lists them.
     */
    audit?: string;
  }
}

/** Answer fields worth keeping with an audit entry (counts and states, never content). */
const ANSWER_FIELDS = ['state', 'count', 'imported', 'changed', 'cancelled'] as const;

/**
 * Records every successful call of a route that declares `audit` (route config): who (the key),
 * what (the action, the object from the URL, the body or the answer), when, from which address,
 * which fields the request set. Recorded before the client gets its answer; a failed write is a 500.
 * Operations that write several things at once record their own entry inside their transaction
 * instead (`tx.audit.record`), as key changes do.
 */
export function installAudit(app: FastifyInstance, deps: { store: Store; clock: Clock }): void {
  // Only the routes that declare an action get the hook: the others (ingest) run no onSend of it.
  app.addHook('onRoute', (r: RouteOptions) => {
    const action = r.config?.audit;
    if (action) r.onSend = [...[r.onSend ?? []].flat(), auditHook(deps, action)];
  });
}

/** The onSend hook of one audited route. */
function auditHook(deps: { store: Store; clock: Clock }, action: string) {
  return async (req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    if (reply.statusCode >= 300) return payload;
    const answer = parseAnswer(payload);
    const params = (req.params ?? {}) as Record<string, unknown>;
    const body = req.body !== null && typeof req.body === 'object' && !Buffer.isBuffer(req.body) ? req.body : {};
    const objectId = [params.id, params.recipient, (body as Record<string, unknown>).recipient, answer.id].find(
      (v): v is string => typeof v === 'string',
    );
    const detail: Record<string, unknown> = {};
    const fields = Object.keys(body);
    if (fields.length > 0 && !('pipe' in body)) detail.fields = fields;
    for (const f of ANSWER_FIELDS) if (answer[f] !== undefined && typeof answer[f] !== 'object') detail[f] = answer[f];
    await deps.store.audit.record(
      {
        actor: actorOf(req),
        action,
        objectType: action.split('.')[0]!,
        objectId,
        detail: Object.keys(detail).length > 0 ? detail : undefined,
      },
      deps.clock.now(),
    );
    return payload;
  };
}

function parseAnswer(payload: unknown): Record<string, unknown> {
  if (typeof payload !== 'string' || !payload.startsWith('{')) return {};
  try {
    return JSON.parse(payload) as Record<string, unknown>;
  } catch {
    return {};
  }
}
