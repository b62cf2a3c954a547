const preset = require('../../jest.preset.cjs');

module.exports = {
  ...preset,
  moduleNameMapper: {
    '^@spillway/shared$': '<rootDir>/../../packages/shared/src/index.ts',
    '^@spillway/sandbox$': '<rootDir>/../../packages/sandbox/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};
