// Types of scripts/package.mjs (plain JavaScript, run by the Dockerfile with plain Node).
export function packageInto(outDir: string): Promise<void>;
