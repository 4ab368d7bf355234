// The PDF thread when the server runs from source (tsx, Vitest): a worker thread does not inherit the
// loader the main thread registered, so it registers tsx, then loads the worker (pdf-renderer.ts).
import { register } from 'tsx/esm/api';

register();
await import('./pdf-worker.ts');
