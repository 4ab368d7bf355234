/**
 * `npm start`: builds what is missing or out of date (scripts/build.mjs), then runs the built server
 * (`dist/cli.js serve`) in this process with plain Node. With nothing changed, it goes straight to the
 * server: no build, no TypeScript loader.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildStale, root } from './build.mjs';

await buildStale();
process.argv.splice(2, Infinity, 'serve');
await import(pathToFileURL(join(root, 'dist/cli.js')).href);
