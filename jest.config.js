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

/**
 * Suites against a real inference server (llama.cpp, ../shared/real-llm): `npm run test:real-model`
 * runs them (jest.real-model.config.js), never `npm test`.
 */
export const REAL_MODEL_SUITES = ['test/real-model/real-model.test.ts'];

/** @type {import('jest').Config} */
export default {
  ...createDefaultEsmPreset({ tsconfig: 'tsconfig.json' }),
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Long suites run in `npm run test:long`; the single-executable smoke test needs `npm run
  // build:binary` first, and `npm run test:binary` runs it.
  testPathIgnorePatterns: [
    '/node_modules/',
    ...[...LONG_SUITES, ...REAL_MODEL_SUITES].map((file) => `<rootDir>/${file.replace(/\./g, '\\.')}$`),
    ...(process.env.LIGHTNING_TEST_BINARY ? [] : ['/test/integration/binary\\.test\\.ts$']),
  ],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  // Integration tests spawn real processes; two workers keep a 2-core machine responsive.
  maxWorkers: 2,
  testTimeout: 30000,
};
