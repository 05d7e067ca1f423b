import { defineConfig } from 'vitest/config';

// Two projects: unit tests need nothing but Node; integration tests start real processes
// (emulators, kube-apiserver + etcd, helm, jaeger) built by test-env/.
export default defineConfig({
  test: {
    reporters: ['default', './test-env/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['agent/test/unit/**/*.test.ts', 'operator/test/unit/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: [
            'agent/test/integration/**/*.test.ts',
            'operator/test/integration/**/*.test.ts',
            'charts/test/**/*.test.ts',
          ],
          testTimeout: 120_000,
          hookTimeout: 900_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
