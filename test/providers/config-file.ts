import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** Writes a HERALD_CONFIG file (YAML) into a fresh temp dir; answers its path. */
export function writeHeraldConfig(config: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'herald-cfg-')), 'herald.yaml');
  writeFileSync(path, stringify(config));
  return path;
}

/** A port on 127.0.0.1 with nothing listening (connections are refused). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
