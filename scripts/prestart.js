// `npm start`'s first step: builds the admin UI when it is stale (scripts/build-ui.ts). Plain
// JavaScript, so that it runs on any Node: where this Node cannot run TypeScript (a checkout
// installed with --omit=dev, which drops the pinned Node 24), it does nothing and leaves
// bin/herald.js to say in one line which Node Herald needs.
if (process.features.typescript) {
  const { buildUi, NoVite } = await import('./build-ui.ts');
  await buildUi().catch((err) => {
    // Herald runs without the UI (/admin then says how to get it): warn, never stop `npm start`.
    if (err instanceof NoVite) console.error(`admin UI not built: ${err.message}; /admin says how to get it.`);
    else console.error('admin UI build failed; Herald will start without it:', err);
  });
}
