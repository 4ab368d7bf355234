// Types of scripts/build.mjs, which stays plain JavaScript so `npm start` needs no TypeScript loader.
export interface BuildTarget {
  name: string;
  /** The file its build writes, relative to the project root. */
  output: string;
  /** What it is built from: files and directories relative to the project root. */
  sources: string[];
  build(): Promise<void>;
}
export const root: string;
export const server: BuildTarget;
export const webApp: BuildTarget;
export const targets: BuildTarget[];
export function buildServer(outDir?: string): Promise<void>;
export function isStale(target: BuildTarget): boolean;
export function buildStale(which?: BuildTarget[]): Promise<void>;
