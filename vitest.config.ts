import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // Bounds that only end a test or a wait that never finishes: generous, so that a busy machine
    // (other suites running beside this one) is never taken for a failure.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    expect: { poll: { timeout: 30_000 } },
    // Each file has its own database, so files run side by side; two cores, two at a time.
    maxWorkers: 2,
    minWorkers: 1,
    // CI asks for a JSON report as well, to print its own "N passed, N failed" line.
    reporters: process.env.VITEST_JSON_REPORT ? ['default', 'json'] : ['default'],
    outputFile: process.env.VITEST_JSON_REPORT ? { json: process.env.VITEST_JSON_REPORT } : {},
  },
});
