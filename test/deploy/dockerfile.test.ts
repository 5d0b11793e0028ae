import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';

const ROOT = join(import.meta.dirname, '..', '..');
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

/** The linter's messages (a message may be markup in the language-server types). */
const lint = (text: string) =>
  validate(text).map((d) => ({
    line: d.range.start.line + 1,
    message: typeof d.message === 'string' ? d.message : d.message.value,
  }));

/** Instructions with their arguments, continuation lines joined, comments dropped. */
function instructions(text: string): { op: string; args: string }[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trimStart().startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.trim().split(/\s+/);
      return { op: op!.toUpperCase(), args: rest.join(' ') };
    });
}

/**
 * The image is not built here (no Docker engine on these machines): the Dockerfile is linted by
 * dockerfile-utils (the linter of the VS Code Docker extension's language server), and what the
 * issue asks of it is read off its instructions.
 */
void describe('Dockerfile', () => {
  void test('the linter finds nothing', () => {
    assert.deepEqual(
      lint(DOCKERFILE).map((d) => `${d.line}: ${d.message}`),
      [],
    );
  });

  void test('and the linter finds a broken instruction (the test can fail)', () => {
    const broken = DOCKERFILE.replace('--interval=10s', '--interval=10').replace('STOPSIGNAL SIGTERM', 'STOPSIGNAL');
    const messages = lint(broken).map((d) => d.message);
    assert.ok(
      messages.some((m) => /missing unit in duration/.test(m)),
      messages.join('; '),
    );
    assert.ok(
      messages.some((m) => /no arguments/.test(m)),
      messages.join('; '),
    );
  });

  void test('two stages on Node 24 slim; the run stage is unprivileged, checks /healthz, stops on SIGTERM, keeps data in a volume', () => {
    const all = instructions(DOCKERFILE);
    assert.match(all.find((i) => i.op === 'ARG')!.args, /^NODE_IMAGE=node:24-slim$/);
    const froms = all.flatMap((i, n) => (i.op === 'FROM' ? [n] : []));
    assert.equal(froms.length, 2, 'a build stage and a run stage');
    const run = all.slice(froms[1]);
    const one = (op: string) => run.filter((i) => i.op === op).map((i) => i.args);
    assert.deepEqual(one('USER'), ['herald']);
    assert.deepEqual(one('STOPSIGNAL'), ['SIGTERM']);
    assert.deepEqual(one('VOLUME'), ['["/var/lib/herald"]']);
    assert.match(one('HEALTHCHECK')[0] ?? '', /\/healthz/);
    assert.match(one('ENV').join(' '), /DATABASE_URL=sqlite:\/var\/lib\/herald\/herald\.db/);
    assert.deepEqual(one('ENTRYPOINT'), ['["herald"]']);
    assert.ok(
      run.some((i) => i.op === 'COPY' && i.args.startsWith('--from=build /opt/herald')),
      'the run stage takes only the installed package from the build stage',
    );
  });

  void test('.dockerignore keeps out what the build makes or does not need, and nothing npm pack needs', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    for (const p of ['node_modules', 'dist', 'ui/dist', '.git', 'test', 'bench', 'docs/screenshots'])
      assert.ok(ignored.includes(p), p);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    const needed = ['src', 'ui', 'scripts', 'bin', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
    for (const p of [...needed, ...pkg.files.filter((f) => !f.startsWith('!') && f !== 'dist/')])
      assert.ok(!ignored.includes(p.replace(/\/$/, '')), `${p} reaches the build`);
  });
});
