import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { coerceError } from '../errors/app-error.ts';
import { RETRY_AFTER_SECONDS, type FaultLog } from './faults.ts';
import type { Database } from './schema.ts';
import type { Writability } from './store.ts';

/** Below this much free space on the SQLite file's disk the store reports itself full. */
export const MIN_FREE_BYTES = 1024 * 1024;

/*
 * checkWritable — readiness of the store. Not ready while: an availability fault was met in the
 * last RETRY_AFTER_SECONDS (so a load balancer backs off as long as clients are told to); the
 * SQLite file's disk has less than MIN_FREE_BYTES free (a small write can still land in WAL space
 * already allocated, so the write below alone would not tell); or one small write does not commit.
 */
export async function checkWritable(db: Kysely<Database>, faults: FaultLog, file?: string): Promise<Writability> {
  const recent = faults.recent(RETRY_AFTER_SECONDS * 1000);
  if (recent) return { ok: false, reason: recent.message };
  try {
    if (file) {
      const fs = await statfs(dirname(file));
      const free = fs.bavail * fs.bsize;
      if (free < MIN_FREE_BYTES) return { ok: false, reason: `database disk full (${free} bytes free)` };
    }
    await sql`INSERT INTO herald_health (id, checked_at) VALUES (1, ${Date.now()})
      ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at`.execute(db);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: coerceError(err).message };
  }
}
