import { after } from 'node:test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';

/**
 * The stores every conformance suite runs against. PostgreSQL is required (CI fails when it is
 * unreachable): set HERALD_TEST_PG (default postgres://postgres@127.0.0.1:5432/test).
 * Each call gives a fresh database: a new SQLite file, or a new PostgreSQL schema.
 */
export const PG_URL = process.env.HERALD_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export const BACKENDS = ['sqlite', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

export function freshUrl(backend: Backend): { url: string; schema?: string } {
  if (backend === 'sqlite') return { url: `sqlite:${join(mkdtempSync(join(tmpdir(), 'herald-')), 'test.db')}` };
  return { url: PG_URL, schema: `t_${randomBytes(6).toString('hex')}` };
}

export async function freshStore(backend: Backend): Promise<Store> {
  const store = await openStore(freshUrl(backend));
  await store.migrate();
  return store;
}

/**
 * For one describe block: `fresh()` opens a migrated store (by default a fresh database of
 * `backend`), and every store it opened is closed once the block has run.
 */
export function storesOf(
  backend: Backend,
  open: () => Promise<Store> = () => freshStore(backend),
): () => Promise<Store> {
  const opened: Store[] = [];
  after(async () => {
    for (const s of opened) await s.close();
  });
  return async () => {
    const s = await open();
    opened.push(s);
    return s;
  };
}
