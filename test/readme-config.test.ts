import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { ConfigLeaf } from '../src/config.js';
import { renderConfigTable, withConfigTable } from '../scripts/config-table.js';

describe("README's configuration table", () => {
  it('is the one rendered from the config schema', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme, 'README.md is stale: run `npm run docs:config`').toBe(withConfigTable(readme));
  });

  it('shows each variable with its default, its bounds and whether production refuses the default', () => {
    const leaf = (schema: object) => ({ path: ['x'], schema: { env: 'X', description: 'what it does', ...schema } }) as ConfigLeaf;
    const rows = renderConfigTable([
      leaf({ type: 'integer', minimum: 1, maximum: 9, default: 3 }),
      leaf({ type: 'string', minLength: 32, default: 'dev', refusedInProduction: true }),
      leaf({ type: 'string', pattern: '^a|b$' }),
      leaf({ anyOf: [{ const: 'one' }, { const: 'two' }], default: 'one' }),
      leaf({ type: 'string', secret: true }),
    ]).split('\n').slice(3, -1);
    expect(rows).toEqual([
      '| `X` | `3` | what it does; an integer from 1 to 9 |',
      '| `X` | `dev` (refused in production) | what it does; at least 32 characters |',
      '| `X` | unset | what it does; matching `^a\\|b$` |',
      '| `X` | `one` | what it does; one of `one`, `two` |',
      '| `X` or `X_FILE` | unset | what it does |',
    ]);
  });

  it('refuses a README without the markers rather than appending a table', () => {
    expect(() => withConfigTable('# no table here')).toThrow(/markers/);
  });
});
