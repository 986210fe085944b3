/**
 * Layers: unit (services with adapters replaced), integration (adapters
 * against the real local servers) and e2e (the whole app over HTTP). The real
 * servers are started once by test/support/global-setup.ts.
 * @type {import('jest').Config}
 */
const transform = { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: 'tsconfig.json' }] };
const common = { transform, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/unit/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFiles: ['<rootDir>/test/support/test-env.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFiles: ['<rootDir>/test/support/test-env.ts'],
    },
    {
      // packages/sdk: its unit tests and its tests against the real app (same services as e2e).
      ...common,
      displayName: 'sdk',
      testMatch: ['<rootDir>/test/sdk/**/*.spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFiles: ['<rootDir>/test/support/test-env.ts'],
    },
    {
      // Deploy and operate: Helm chart, Prometheus rules, dashboards, Compose/Dockerfile, Sentinel failover,
      // backup/restore. Installs its tools through scripts/ops-tools.sh when they are missing.
      ...common,
      displayName: 'deploy',
      testMatch: ['<rootDir>/test/deploy/**/*.spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      setupFiles: ['<rootDir>/test/support/test-env.ts'],
    },
  ],
  testTimeout: 60000,
};
