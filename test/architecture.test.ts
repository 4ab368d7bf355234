import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/*
 * The module map of docs/architecture.md, enforced. Production code of a feature may import only the
 * features its row allows, the shared modules import no feature, and the map itself has no cycle.
 * Tests are left out: a test may set up data through any feature.
 */

/** Which features each feature's production code may import (docs/architecture.md draws the same map). */
const allowedFeatureDependencies: Readonly<Record<string, readonly string[]>> = {
  auth: [],
  checkin: ['auth'],
  checkout: ['auth', 'inventory', 'notifications', 'ops'],
  events: ['auth', 'checkout', 'inventory', 'queue', 'search', 'waitlist'],
  inventory: ['auth', 'notifications', 'ops'],
  notifications: ['auth', 'ops'],
  ops: [],
  organizer: ['auth', 'events'],
  orgs: ['auth', 'notifications'],
  queue: ['auth', 'inventory', 'ratelimit'],
  ratelimit: [],
  search: ['inventory'],
  venues: ['auth'],
  waitlist: ['auth', 'inventory', 'notifications'],
  web: [],
};

/** Modules of src/ that every feature may use and that import no feature. */
const sharedModules = ['db', 'http', 'redis', 'tracing', 'config.ts', 'limits.ts', 'errors.ts', 'backoff.ts', 'jobs.ts', 'bus.ts', 'seat-labels.ts'];
/** The composition root: the only code outside features that wires features together (with src/seed/, which sets up demo data through them). */
const composition = ['app.ts', 'server.ts', 'cli.ts', 'commands.ts', 'context.ts', 'contract.ts'];

const root = resolve(import.meta.dirname, '..');
const src = join(root, 'src');
const featuresDir = join(src, 'features');

const isProductionSource = (file: string) => /\.tsx?$/.test(file) && !/\.test\.tsx?$/.test(file);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && isProductionSource(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** Every relative import of a file (static, type-only and dynamic), as absolute paths. */
function importsOf(file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  return importedFiles
    .map((i) => i.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => resolve(dirname(file), name));
}

/** The feature a path lies in (`src/features/<name>/…`), if any. */
function featureOf(path: string): string | undefined {
  const rel = relative(featuresDir, path);
  return rel.startsWith('..') ? undefined : rel.split(sep)[0];
}

interface Edge { from: string; to: string; file: string }

function featureEdges(): Edge[] {
  return sourceFiles(featuresDir).flatMap((file) => {
    const from = featureOf(file)!;
    return importsOf(file)
      .map((target) => ({ from, to: featureOf(target), file: relative(root, file) }))
      .filter((edge): edge is Edge => edge.to !== undefined && edge.to !== from);
  });
}

/** The cycles of a directed graph, as paths that start and end at the same node (empty when acyclic). */
function cyclesOf(graph: Readonly<Record<string, readonly string[]>>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const visit = (node: string, path: string[]) => {
    const at = path.indexOf(node);
    if (at >= 0) return void cycles.push([...path.slice(at), node]);
    if (done.has(node)) return;
    for (const next of graph[node] ?? []) visit(next, [...path, node]);
    done.add(node);
  };
  for (const node of Object.keys(graph)) visit(node, []);
  return cycles;
}

/** The edges drawn in the Mermaid module map of docs/architecture.md (`a --> b`). */
function documentedEdges(): string[] {
  const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
  const map = /```mermaid\n(graph[^\n]*\n[\s\S]*?)```/.exec(doc)?.[1] ?? '';
  return [...map.matchAll(/^\s*(\w[\w-]*)\s*-->\s*(\w[\w-]*)\s*$/gm)].map(([, from, to]) => `${from} -> ${to}`);
}

const asPairs = (graph: Readonly<Record<string, readonly string[]>>) =>
  Object.entries(graph).flatMap(([from, tos]) => tos.map((to) => `${from} -> ${to}`)).sort();

describe('the module map', () => {
  it('names every feature folder, and only those', () => {
    const folders = readdirSync(featuresDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(Object.keys(allowedFeatureDependencies).sort()).toEqual(folders);
  });

  it('lets a feature import only the features its row allows', () => {
    const edges = featureEdges();
    expect(edges.length).toBeGreaterThan(0);
    const forbidden = edges.filter((e) => !allowedFeatureDependencies[e.from]?.includes(e.to)).map((e) => `${e.file} imports ${e.to}`);
    expect(forbidden).toEqual([]);
  });

  it('allows no dependency that no code uses (the map says what is, not what might be)', () => {
    const used = new Set(featureEdges().map((e) => `${e.from} -> ${e.to}`));
    expect(asPairs(allowedFeatureDependencies).filter((pair) => !used.has(pair))).toEqual([]);
  });

  it('has no cycle between features', () => {
    expect(cyclesOf(allowedFeatureDependencies)).toEqual([]);
  });

  it('is the map drawn in docs/architecture.md', () => {
    expect(documentedEdges().sort()).toEqual(asPairs(allowedFeatureDependencies));
  });

  it('keeps SQL out of route files: a route calls its feature\'s services', () => {
    const routeFiles = sourceFiles(featuresDir).filter((file) => /routes\.ts$/.test(file));
    expect(routeFiles.length).toBeGreaterThan(5);
    expect(routeFiles.filter((file) => /\.query\(|\binsert into\b|\bdelete from\b/.test(readFileSync(file, 'utf8'))).map((file) => relative(root, file))).toEqual([]);
  });

  it('keeps shared modules free of features; only the composition root wires them together', () => {
    const sharedFiles = sharedModules.flatMap((m) => (m.endsWith('.ts') ? [join(src, m)] : sourceFiles(join(src, m))));
    expect(sharedFiles.length).toBeGreaterThan(0);
    const offenders = sharedFiles.flatMap((file) => importsOf(file).filter((t) => featureOf(t) !== undefined).map((t) => `${relative(root, file)} imports ${relative(root, t)}`));
    expect(offenders).toEqual([]);
    const rootFiles = readdirSync(src).filter((f) => isProductionSource(f));
    expect(rootFiles.filter((f) => !sharedModules.includes(f) && !composition.includes(f))).toEqual([]);
  });
});

describe('the owner of stock', () => {
  const productionSql = () => sourceFiles(src).map((file) => ({ file: relative(root, file).split(sep).join('/'), text: readFileSync(file, 'utf8') }));
  const filesMatching = (pattern: RegExp) => productionSql().filter(({ text }) => pattern.test(text)).map(({ file }) => file).sort();

  it('is inventory: only its stock module writes holds, hold items, seats and section counters (and its sections module creates them)', () => {
    expect(filesMatching(/insert into (holds|hold_items|seats|sections)\b|update (seats|sections|hold_items)\b|update holds set status/i))
      .toEqual(['src/features/inventory/sections.ts', 'src/features/inventory/stock.ts']);
  });

  it('defines a free seat once', () => {
    expect(filesMatching(/held_until <= now\(\)/)).toEqual(['src/features/inventory/stock.ts']);
    expect(productionSql().flatMap(({ text }) => text.match(/held_until <= now\(\)/g) ?? [])).toHaveLength(1);
  });
});

describe('cyclesOf', () => {
  it('finds a cycle and accepts a chain', () => {
    expect(cyclesOf({ a: ['b'], b: ['c'], c: ['a'] })).toEqual([['a', 'b', 'c', 'a']]);
    expect(cyclesOf({ a: ['b'], b: ['c'], c: [] })).toEqual([]);
  });
});
