import { createDefaultEsmPreset } from 'ts-jest';

/** @type {import('jest').Config} */
export default {
  ...createDefaultEsmPreset({ tsconfig: 'tsconfig.json' }),
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // The single-executable smoke test needs `npm run build:binary` first: `npm run test:binary` runs it.
  testPathIgnorePatterns: ['/node_modules/', ...(process.env.LIGHTNING_TEST_BINARY ? [] : ['/test/integration/binary\\.test\\.ts$'])],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // Integration tests spawn real processes; two workers keep a 2-core machine responsive.
  maxWorkers: 2,
  testTimeout: 30000,
};
