import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config.ts';

const DOCS = join(import.meta.dirname, '..', '..', 'docs');

/** A DKIM private key file for docs/providers/smtp.md (the option names a file that must hold a key). */
const dkimKeyFile = join(mkdtempSync(join(tmpdir(), 'herald-dkim-')), 'dkim.pem');
writeFileSync(
  dkimKeyFile,
  generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
);

/** Values for the variables the examples use; any other `${VAR}` gets a plain string. */
const VALUES: Record<string, string> = {
  DKIM_KEY_FILE: dkimKeyFile,
  API_BASE: 'https://mail-gateway.example.com',
  SENDGRID_WEBHOOK_KEY: generateKeyPairSync('ec', { namedCurve: 'P-256' })
    .publicKey.export({ format: 'der', type: 'spki' })
    .toString('base64'),
};

/** Every ```yaml block of a page that defines providers. */
function examples(page: string): string[] {
  const text = readFileSync(join(DOCS, page), 'utf8');
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => /^providers:/m.test(b));
}

/**
 * The providers-file examples of docs/configuration.md, docs/providers/ and docs/compat/ work as copied:
 * each is saved as a file and loaded, with its `${VAR}`s set.
 */
const pages = [
  'configuration.md',
  ...['providers', 'compat'].flatMap((d) => readdirSync(join(DOCS, d)).map((f) => `${d}/${f}`)),
];
for (const page of pages) {
  const blocks = examples(page);
  if (blocks.length === 0) continue;
  test(`docs/${page}: every providers example loads as copied`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-docs-'));
    blocks.forEach((yaml, i) => {
      const path = join(dir, `example-${i}.yaml`);
      writeFileSync(path, yaml);
      const env: Record<string, string> = { HERALD_CONFIG: path };
      // Variables of the values only: a `${VAR}` in a comment must need nothing.
      const values = yaml.replace(/(^|\s)#.*$/gm, '');
      for (const [, name] of values.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g))
        env[name!] = VALUES[name!] ?? `${name}-value`;
      const config = loadConfig(env);
      assert.ok(config.providers.length > 0, `${page} example ${i + 1} defines providers`);
    });
  });
}

test('the docs/providers/README.md example keeps ${VAR} in comments as comments', () => {
  const [readme] = examples('providers/README.md');
  assert.ok(readme && /#.*\$\{VAR\}/.test(readme), 'the example still shows a ${VAR} inside a comment');
});
