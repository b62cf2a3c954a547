// Two projects: the card's component tests in jsdom (CommonJS: Backstage packages ship `.esm.js`,
// so node_modules are transformed except a deny-list, see RECIPES.md "Backstage"), and the browser
// test in node, as ESM like the other workspaces (it runs the sandbox and the backend in-process).
const swcReact = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', tsx: true },
      transform: { react: { runtime: 'automatic' } },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
const notTransformed = [
  '@material-ui',
  'react',
  'react-dom',
  'react-is',
  'scheduler',
  'jsdom',
  'jest-[^/]+',
  '@jest',
  '@acemir',
  '@babel',
  '@swc',
  'typescript',
];

module.exports = {
  projects: [
    {
      displayName: 'components',
      testEnvironment: 'jsdom',
      transform: { '^.+\\.(tsx?|jsx?|mjs|cjs)$': swcReact },
      transformIgnorePatterns: [`/node_modules/(?:${notTransformed.join('|')})/`],
      moduleNameMapper: {
        '\\.css\\.esm\\.js$': '<rootDir>/test/stubs/css-module.cjs',
        '\\.(svg|png|jpe?g|gif|woff2?|css)$': '<rootDir>/test/stubs/file.cjs',
        '^(\\.{1,2}/.*)\\.js$': '$1',
      },
      setupFilesAfterEnv: ['<rootDir>/test/setup.ts'],
      testMatch: ['<rootDir>/test/**/*.test.{ts,tsx}'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/browser.test.ts'],
    },
    {
      displayName: 'browser',
      testEnvironment: 'node',
      extensionsToTreatAsEsm: ['.ts'],
      transform: {
        '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' } }],
      },
      moduleNameMapper: {
        '^@spillway/shared$': '<rootDir>/../../packages/shared/src/index.ts',
        '^@spillway/sandbox$': '<rootDir>/../../packages/sandbox/src/index.ts',
        '^@spillway/backstage-plugin-spillway-backend$': '<rootDir>/../backstage-backend/src/index.ts',
        '^(\\.{1,2}/.*)\\.js$': '$1',
      },
      testMatch: ['<rootDir>/test/browser.test.ts'],
    },
  ],
};
