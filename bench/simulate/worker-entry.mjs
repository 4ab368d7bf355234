// A worker thread does not inherit tsx's loader (bin/onsale.js, `tsx`, Vitest): register it, then load the worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
