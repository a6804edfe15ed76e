import path from 'node:path';
import { defineConfig } from 'vitest/config';

// The deploy tests need no test bed (etcd, dockerd, simulated nodes). In the full run they
// belong to the e2e project; this config runs them alone, quickly:
//   npx vitest run --config test/deploy/vitest.config.ts
export default defineConfig({
  resolve: { alias: { '@orchard/api': path.resolve(__dirname, '../../packages/api/src/index.ts') } },
  test: {
    include: ['test/deploy/**/*.test.ts'],
    root: `${__dirname}/../..`,
    environment: 'node',
    testTimeout: 60_000,
  },
});
