import { defineConfig } from 'vitest/config';

// No test/setup.ts: this package computes on plain number arrays and creates no tensors.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results.json' },
    testTimeout: 30_000,
  },
});
