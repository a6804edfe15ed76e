import { defineConfig } from 'vitest/config';
import path from 'node:path';

// Unit tests import the workspace packages from source, so they need no build.
// End-to-end tests run the built binaries (npm run build first) against real etcd,
// dockerd and simulated Pi nodes created by test/bed.
// The agent's lean entry point comes first: an alias also matches the paths under it.
const alias = {
  '@orchard/api/agent': path.resolve(__dirname, 'packages/api/src/agent.ts'),
  '@orchard/api': path.resolve(__dirname, 'packages/api/src/index.ts'),
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/bed/global-setup.ts'],
          // Scenarios share one test bed (etcd, dockerd, simulated nodes): run them one
          // file at a time.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
