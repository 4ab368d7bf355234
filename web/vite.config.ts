import { defineConfig } from 'vite';

/**
 * The web app. JSX goes through Vite's built-in esbuild (no React plugin: the plugin's Babel stack is
 * not needed for a production build). `npm run dev:web` proxies the API to a server on :3000.
 */
export default defineConfig({
  root: import.meta.dirname,
  esbuild: { jsx: 'automatic' },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', reportCompressedSize: false, sourcemap: false },
  server: { proxy: { '/api': { target: 'http://localhost:3000', ws: true } } },
  logLevel: 'warn',
});
