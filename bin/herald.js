#!/usr/bin/env node
// The `herald` command. Runs src/main.ts with Node's type stripping (Node >= 22.18 / 24).
await import('../src/main.ts');
