#!/usr/bin/env -S node --max-semi-space-size=8
// The `herald` command. Runs src/main.ts with Node's type stripping (Node >= 22.18 / 24), with
// Herald's V8 flags (src/node-flags.ts; node-flags.test.ts keeps this line and `npm start` in step).
if (!process.features.typescript) {
  // Older Node cannot load src/main.ts: say so in one line instead of a loader stack trace.
  process.stderr.write(
    `herald: needs Node.js 22.18 or newer (this is ${process.version}); see package.json "engines"\n`,
  );
  process.exit(2);
}
await import('../src/main.ts');
