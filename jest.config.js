// One Jest run, three tiers: unit specs beside the code, API integration
// tests against the real PostgreSQL and Redis, browser tests in Chromium.
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true, tsx: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, react: { runtime: 'automatic' } },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  },
];
const moduleNameMapper = {
  '^@audit-trail/plans$': '<rootDir>/libs/plans/src/index.ts',
  '^@audit-trail/audit-core$': '<rootDir>/libs/audit-core/src/index.ts',
  '^@audit-trail/(config|data|queues|engines|testing)$': '<rootDir>/libs/$1/src/index.ts',
};
const common = { transform: { '^.+\\.(t|j)sx?$': swc }, moduleNameMapper, testEnvironment: 'node', rootDir: __dirname };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/libs/**/src/**/*.spec.ts', '<rootDir>/apps/*/src/**/*.spec.ts'] },
    { ...common, displayName: 'api', testMatch: ['<rootDir>/apps/api/test/**/*.e2e-spec.ts', '<rootDir>/apps/worker/test/**/*.e2e-spec.ts'], setupFiles: ['<rootDir>/libs/testing/src/setup-env.ts'], setupFilesAfterEnv: ['<rootDir>/apps/api/test/timeouts.api.ts'] },
    { ...common, displayName: 'web', testMatch: ['<rootDir>/apps/web/e2e/**/*.e2e-spec.ts'], setupFiles: ['<rootDir>/libs/testing/src/setup-env.ts'], setupFilesAfterEnv: ['<rootDir>/apps/web/e2e/timeouts.web.ts'] },
  ],
};
