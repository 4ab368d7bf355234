/** Rewrites the configuration table in README.md from the config schema. Run: npm run docs:config */
import { readFile, writeFile } from 'node:fs/promises';
import { withConfigTable } from './config-table.js';

const readmePath = new URL('../README.md', import.meta.url);
const readme = await readFile(readmePath, 'utf8');
const updated = withConfigTable(readme);
if (updated === readme) console.log('README.md: the configuration table is up to date');
else {
  await writeFile(readmePath, updated);
  console.log('README.md: configuration table rewritten');
}
