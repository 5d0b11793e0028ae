import { openStore, databaseForTests } from '../src/store/open-store.ts';
import { sql } from 'kysely';
const s = await openStore({ url: 'sqlite:/tmp/mb/dbg.db' });
await s.migrate();
await s.endpoints.create({ url: 'https://a.example/e', events: ['message.accepted'] }, 1600);
const db = databaseForTests(s);
console.log(await db.selectFrom('endpoints').select('events').execute());
try { console.log((await sql`SELECT value->>0 AS a, value->>1 AS b FROM json_each(${JSON.stringify([['x','accepted','queued',null]])})`.execute(db)).rows); } catch (e) { console.log('A', e.message); }
try { console.log((await sql`SELECT 1 FROM endpoints e, json_each(e.events) t WHERE e.enabled = 1 AND t.value = 'message.accepted'`.execute(db)).rows); } catch (e) { console.log('B', e.message); }
await s.close();
