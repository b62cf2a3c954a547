// The real scaffolder backend's test (see test/scaffolder.test.ts), alone, because it needs --forceExit.
const base = require('./jest.config.cjs');

module.exports = {
  ...base,
  testMatch: ['<rootDir>/test/scaffolder.test.ts', '<rootDir>/test/templates.test.ts'],
  testPathIgnorePatterns: [],
};
