// `npm start`'s first step: builds the admin UI when it is stale, or warns (scripts/build-ui.ts).
// Plain JavaScript, so that it runs on any Node: where this Node cannot run TypeScript (a checkout
// installed with --omit=dev, which drops the pinned Node 24), it does nothing and leaves
// bin/herald.js to say in one line which Node Herald needs.
if (process.features.typescript) await (await import('./build-ui.ts')).buildUiOrWarn();
