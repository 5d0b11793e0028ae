import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

/**
 * Loading the configuration loads no provider adapter and none of their client libraries: config
 * checks options against src/providers/schemas.ts, never through the adapters in types.ts.
 */
test('loading the config loads no provider adapter, nodemailer or undici', () => {
  const config = pathToFileURL(join(import.meta.dirname, 'config.ts')).href;
  const script = `
    import { registerHooks } from 'node:module';
    const loaded = [];
    registerHooks({ resolve(specifier, context, next) { const r = next(specifier, context); loaded.push(r.url); return r; } });
    const { loadConfig } = await import(${JSON.stringify(config)});
    loadConfig({});
    console.log(JSON.stringify(loaded));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const loaded = JSON.parse(run.stdout) as string[];
  assert.ok(
    loaded.some((u) => u.endsWith('/providers/schemas.ts')),
    'the option schemas are loaded',
  );
  const adapters = loaded.filter((u) => /\.provider\.ts$|\/nodemailer\/|\/undici\/|\/providers\/types\.ts$/.test(u));
  assert.deepEqual(adapters, []);
});
