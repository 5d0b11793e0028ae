import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

let dir: string | undefined;
let n = 0;

/** Writes `text` to a fresh config file (YAML unless `ext` says json) and answers its path. */
export function configFile(text: string, ext = 'yaml'): string {
  dir ??= mkdtempSync(join(tmpdir(), 'herald-config-'));
  const path = join(dir, `c${n++}.${ext}`);
  writeFileSync(path, text);
  return path;
}

/** The problems loadConfig reports for `env` (fails when it reports none). */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}
