import { defineConfig } from 'vite';

/**
 * The dashboard is served by the hub at `/ui/`: every asset is bundled (no CDN), hashed for
 * long caching, and nothing is inlined into the HTML, so the hub's Content-Security-Policy
 * can forbid inline scripts and styles.
 */
export default defineConfig({
  root: new URL('.', import.meta.url).pathname,
  base: '/ui/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Vite's preload polyfill is the one script it may inline; modern browsers need none.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: true,
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
