// Three projects: `unit` needs nothing but Node; `integration` gets one real control plane
// (etcd, kube-apiserver, controllers, kwok) and MariaDB per run from the global setup;
// `realnode` gets its own control plane plus a real kubelet node running the project's image.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'realnode',
          include: ['test/realnode/**/*.test.ts'],
          globalSetup: ['test/support/realnode-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        // The same OpenStack tests against the simulator and against real Keystone/Neutron/Nova
        // (brought up once per run, warm from the cache): a divergence fails here.
        extends: true,
        test: {
          name: 'contract',
          include: ['test/contract/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts', 'test/support/openstack-real-setup.ts'],
          // One set of real services for all files: they run one after another.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
