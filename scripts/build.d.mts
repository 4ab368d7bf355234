// Types of scripts/build.mjs, which stays plain JavaScript so `npm start` needs no TypeScript loader.
export interface BuildTarget {
  name: string;
  /** The file its build writes, relative to the project root. */
  output: string;
  /** What it is built from: files and directories relative to the project root. */
  sources: string[];
  build(): void;
}
export const root: string;
export const targets: BuildTarget[];
export function buildServer(outDir?: string): void;
export function isStale(target: BuildTarget): boolean;
export function buildStale(which?: BuildTarget[]): void;
