import { createDefaultEsmPreset } from 'ts-jest';

/**
 * Suites that take minutes each: `npm run test:long` runs them (jest.long.config.js), `npm test`
 * leaves them out so it stays within 4 minutes on 2 cores.
 */
export const LONG_SUITES = [
  'test/integration/chaos.test.ts',
  'test/integration/learning-worlds.test.ts',
  'test/integration/load-failover.test.ts',
];

/** @type {import('jest').Config} */
export default {
  ...createDefaultEsmPreset({ tsconfig: 'tsconfig.json' }),
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...LONG_SUITES.map((file) => `<rootDir>/${file.replace(/\./g, '\\.')}$`)],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // Integration tests spawn real processes; two workers keep a 2-core machine responsive.
  maxWorkers: 2,
  testTimeout: 30000,
};
