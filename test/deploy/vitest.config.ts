import { defineConfig } from 'vitest/config';

// The deploy tests need no test bed (etcd, dockerd, simulated nodes). In the full run they
// belong to the e2e project; this config runs them alone, quickly:
//   npx vitest run --config test/deploy/vitest.config.ts
export default defineConfig({
  test: {
    include: ['test/deploy/**/*.test.ts'],
    root: `${__dirname}/../..`,
    environment: 'node',
    testTimeout: 60_000,
  },
});
