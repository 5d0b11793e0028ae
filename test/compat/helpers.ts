import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, type TestHerald } from '../helpers/herald.ts';

/** Writes a HERALD_CONFIG file (JSON) and answers its path. */
export function configFile(config: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'herald-cfg-')), 'herald.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

/** Waits until a message is in `state`. */
export async function waitState(h: TestHerald, id: string, state: string): Promise<void> {
  await eventually(
    async () => ((await h.rt.store.messages.get(id))?.state === state ? true : undefined),
    10_000,
    `message ${id} to be ${state}`,
  );
}
