import base, { LONG_SUITES } from './jest.config.js';

/** `npm run test:long`: the long suites `npm test` leaves out (listed in jest.config.js). */
export default {
  ...base,
  testMatch: LONG_SUITES.map((file) => `<rootDir>/${file}`),
  testPathIgnorePatterns: ['/node_modules/'],
};
