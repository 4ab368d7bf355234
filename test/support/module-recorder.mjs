/**
 * Preloaded into a server process under test (`NODE_OPTIONS=--import=…`): a module loader hook that
 * appends the URL of every ES module the process resolves to the file ONSALE_TEST_MODULES_FILE names,
 * so a test can tell which packages a process loaded.
 */
import { register } from 'node:module';

register('./module-recorder-hooks.mjs', import.meta.url, { data: { file: process.env.ONSALE_TEST_MODULES_FILE } });
