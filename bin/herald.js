#!/usr/bin/env -S node --max-semi-space-size=8
// The `herald` command. Runs src/main.ts with Node's type stripping (Node >= 22.18 / 24), with
// Herald's V8 flags (src/node-flags.ts; node-flags.test.ts keeps this line and `npm start` in step).
await import('../src/main.ts');
