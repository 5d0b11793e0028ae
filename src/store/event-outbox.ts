import type { Insertable, Kysely } from 'kysely';
import type { NewMessage } from '../domain/message.ts';
import { chunk } from './rows.ts';
import type { Database, MessagesTable } from './schema.ts';

/*
 * What a message insert adds for status events (migration 0008), inside the insert's transaction:
 * its one-off callback, and the `events` rows that nothing else writes — `accepted`, and the state a
 * message is born in when a rule settles it at once (suppressed). Those rows are written only when
 * an enabled endpoint or the message's callback wants them, so an install without endpoints pays
 * one small query per insert transaction and nothing per message.
 */
export async function recordAcceptance(
  db: Kysely<Database>,
  inputs: readonly NewMessage[],
  rows: readonly MessagesTable[],
  created: readonly number[],
  now: number,
): Promise<void> {
  if (rows.length === 0) return;
  const callbacks: Database['message_callbacks'][] = [];
  created.forEach((inputIndex, i) => {
    const cb = inputs[inputIndex]!.callback;
    if (cb)
      callbacks.push({ message_id: rows[i]!.id, url: cb.url, events: cb.events ? JSON.stringify(cb.events) : null });
  });
  for (const part of chunk(callbacks, 1000)) await db.insertInto('message_callbacks').values(part).execute();
  const wanted = new Set<string>();
  const eps = await db.selectFrom('endpoints').select('events').where('enabled', '=', 1).execute();
  for (const e of eps) for (const t of JSON.parse(e.events) as string[]) wanted.add(t);
  const cbTypes = new Map(callbacks.map((c) => [c.message_id, c.events ? (JSON.parse(c.events) as string[]) : null]));
  const wants = (id: string, type: string) => {
    if (wanted.has(type)) return true;
    if (!cbTypes.has(id)) return false;
    const t = cbTypes.get(id);
    return t == null || t.includes(type);
  };
  const events: Insertable<Database['events']>[] = [];
  for (const r of rows) {
    if (wants(r.id, 'message.accepted'))
      events.push({
        message_id: r.id,
        at: now,
        type: 'accepted',
        from_state: null,
        to_state: 'queued',
        source: 'api',
        detail: null,
      });
    if (r.state !== 'queued' && wants(r.id, `message.${r.state}`))
      events.push({
        message_id: r.id,
        at: now,
        type: r.state,
        from_state: 'queued',
        to_state: r.state,
        source: 'api',
        detail: r.reason,
      });
  }
  for (const part of chunk(events, 1000)) await db.insertInto('events').values(part).execute();
}
