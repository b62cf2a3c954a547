const preset = require('../../jest.preset.cjs');

module.exports = {
  ...preset,
  moduleNameMapper: {
    '^@spillway/sandbox$': '<rootDir>/../sandbox/src/index.ts',
    ...preset.moduleNameMapper,
  },
};
