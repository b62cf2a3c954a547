const preset = require('../../jest.preset.cjs');

module.exports = {
  ...preset,
  moduleNameMapper: {
    '^@spillway/shared$': '<rootDir>/../../packages/shared/src/index.ts',
    '^@spillway/sandbox$': '<rootDir>/../../packages/sandbox/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  // Run by jest.scaffolder.config.cjs (it needs --forceExit).
  testPathIgnorePatterns: [
    '/node_modules/',
    '<rootDir>/test/scaffolder.test.ts',
    '<rootDir>/test/templates.test.ts',
  ],
};
