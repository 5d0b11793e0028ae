/**
 * The peer queues (bench/peers/package.json, its own lock) are installed on demand, never as
 * Herald dependencies: `npm ci --prefix bench/peers` when their node_modules is missing or older
 * than the lock.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runToEnd } from './proc.ts';

export const PEERS_DIR = join(import.meta.dirname, '..', 'peers');

export async function ensurePeers(): Promise<void> {
  const lock = join(PEERS_DIR, 'package-lock.json');
  const installed = join(PEERS_DIR, 'node_modules', '.package-lock.json');
  if (existsSync(installed) && statSync(installed).mtimeMs >= statSync(lock).mtimeMs) return;
  console.error('bench: installing the peer queues (npm ci --prefix bench/peers) …');
  await runToEnd('npm', ['ci', '--prefix', PEERS_DIR, '--no-audit', '--no-fund'], { timeoutMs: 5 * 60_000 });
}
