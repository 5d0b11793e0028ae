#!/usr/bin/env -S node --max-semi-space-size=8
// The `herald` command, with Herald's V8 flags (src/node-flags.ts) on the line above:
// node-flags.test.ts keeps that line and `npm start` in step.
//
// In a checkout (src/ is here) it runs src/main.ts with Node's type stripping (Node 22.18+), so
// an edit shows at the next start even when an old `npm run build` left a dist/ behind. The
// installed package has no src/: it runs dist/main.js, the JavaScript that `npm run build` emits
// (Node does not strip types under node_modules). Plain JavaScript, so that an old Node gets one
// line saying what it needs instead of a loader stack trace.
import { existsSync, readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const source = new URL('src/main.ts', root);
const built = new URL('dist/main.js', root);
const { engines } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));

/** Major, minor, patch of "v22.16.0" or ">=22.16.0". */
const version = (text) => (/(\d+)\.(\d+)\.(\d+)/.exec(text) ?? []).slice(1, 4).map(Number);
const atLeast = (have, need) => {
  for (let i = 0; i < 3; i++) if (have[i] !== need[i]) return have[i] > need[i];
  return true;
};

function refuse(line) {
  process.stderr.write(`herald: ${line}\n`);
  process.exit(2);
}

if (!atLeast(version(process.version), version(engines.node))) {
  refuse(`needs Node.js ${engines.node} (this is ${process.version}); see package.json "engines"`);
}
if (existsSync(source) && process.features.typescript) {
  await import(source.href);
} else if (existsSync(built)) {
  await import(built.href);
} else if (existsSync(source)) {
  refuse(`running from source needs Node.js 22.18 or newer, which strips types (this is ${process.version})`);
} else {
  refuse('neither src/main.ts nor dist/main.js is here: in a checkout, run npm run build');
}
