import type { Config } from 'jest';

// Type checking is done once by `npm run typecheck`; swc only strips types, which keeps the suite fast on two cores.
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', {}] },
  globalSetup: '<rootDir>/spec/support/global-setup.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};

export default config;
