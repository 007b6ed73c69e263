import base, { REAL_MODEL_SUITES } from './jest.config.js';

/**
 * `npm run test:real-model`: the fleet against a real llama.cpp server (listed in jest.config.js,
 * which leaves it out of `npm test`). One worker: the suites share one model server.
 */
export default {
  ...base,
  testMatch: REAL_MODEL_SUITES.map((file) => `<rootDir>/${file}`),
  testPathIgnorePatterns: ['/node_modules/'],
  maxWorkers: 1,
};
