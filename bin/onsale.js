#!/usr/bin/env node
// The `onsale` command: runs the TypeScript sources through tsx, so SQL migrations and Lua scripts
// are read from where they live and there is no separate build to keep in step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
