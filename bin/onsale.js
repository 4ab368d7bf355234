#!/usr/bin/env node
// The `onsale` command: runs the built server (dist/cli.js), building first what is missing or older
// than its sources (scripts/build.mjs writes its progress to stderr, so a command's stdout stays clean).
import { buildStale, root } from '../scripts/build.mjs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

await buildStale();
await import(pathToFileURL(join(root, 'dist/cli.js')).href);
