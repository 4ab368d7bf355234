/**
 * The README's configuration table, rendered from the config schema so the two cannot drift apart:
 * `npm run docs:config` writes it into README.md, and test/readme-config.test.ts fails when the README
 * holds anything else.
 */
import { configLeaves, type ConfigLeaf } from '../src/config.js';

export const tableStart = '<!-- config:start (generated from src/config.ts by `npm run docs:config`; do not edit) -->';
export const tableEnd = '<!-- config:end -->';

const code = (text: string | number | boolean) => `\`${text}\``;

/** A pipe would end the cell early. */
const cell = (text: string) => text.replaceAll('|', '\\|');

function defaultOf({ schema }: ConfigLeaf): string {
  if (schema.default === undefined) return 'unset';
  const value = code(schema.default as string | number | boolean);
  return schema.refusedInProduction ? `${value} (refused in production)` : value;
}

/** What a value must be, in words: a reader should not need the schema to set a variable. */
function boundsOf({ schema }: ConfigLeaf): string | undefined {
  const s = schema as ConfigLeaf['schema'] & { minimum?: number; maximum?: number; minLength?: number; maxLength?: number; pattern?: string; anyOf?: { const: string }[] };
  if (s.type === 'integer') return `an integer from ${s.minimum} to ${s.maximum}`;
  if (s.type === 'boolean') return '`true` or `false`';
  if (s.anyOf) return `one of ${s.anyOf.map((branch) => code(branch.const)).join(', ')}`;
  const bounds = [
    s.minLength !== undefined && s.maxLength !== undefined ? `${s.minLength} to ${s.maxLength} characters`
      : s.minLength !== undefined ? `at least ${s.minLength} characters` : undefined,
    s.pattern !== undefined ? `matching ${code(s.pattern)}` : undefined,
  ].filter((bound) => bound !== undefined);
  return bounds.length > 0 ? bounds.join(', ') : undefined;
}

function row(leaf: ConfigLeaf): string {
  const bounds = boundsOf(leaf);
  const meaning = bounds ? `${leaf.schema.description}; ${bounds}` : leaf.schema.description;
  const variable = leaf.schema.secret ? `${code(leaf.schema.env)} or ${code(`${leaf.schema.env}_FILE`)}` : code(leaf.schema.env);
  return `| ${variable} | ${cell(defaultOf(leaf))} | ${cell(meaning)} |`;
}

/** The table, one row per variable in the schema's order, between its marker comments. */
export function renderConfigTable(leaves: ConfigLeaf[] = configLeaves()): string {
  return [tableStart, '| variable | default | meaning |', '|---|---|---|', ...leaves.map(row), tableEnd].join('\n');
}

/** The README with its configuration table (markers included) replaced by a freshly rendered one. */
export function withConfigTable(readme: string): string {
  const start = readme.indexOf(tableStart);
  const end = readme.indexOf(tableEnd, start);
  if (start < 0 || end < 0) throw new Error(`README.md has no configuration table markers (${tableStart} … ${tableEnd})`);
  return readme.slice(0, start) + renderConfigTable() + readme.slice(end + tableEnd.length);
}
