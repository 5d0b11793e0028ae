import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The admin UI: built into ui/dist and served by Herald at /admin (src/api/ui-static.ts).
// `npx vite --config ui/vite.config.ts` runs a dev server that proxies the API to a local Herald.
export default defineConfig({
  root: import.meta.dirname,
  base: '/admin/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
  server: { proxy: { '/v1': process.env.HERALD_URL ?? 'http://127.0.0.1:3000' } },
});
