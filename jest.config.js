// One Jest run, four tiers: unit specs beside the code; API endpoint tests and
// worker behaviour tests against the real PostgreSQL, Redis and processes;
// browser tests in Chromium. The SDK's own tests run in the API tier, against a real API. Every tier takes its harness from libs/testing.
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
  '^@audit-trail/audit-core/browser$': '<rootDir>/libs/audit-core/src/browser.ts',
  '^@audit-trail/(config|data|queues|engines|testing|sdk)$': '<rootDir>/libs/$1/src/index.ts',
  // The SDK is ESM and imports its own files as `./x.js`.
  '^(\\.{1,2}/.*)\\.js$': '$1',
};
// otplib's base32 and hash plugins are ESM-only (@scure, @noble): Node 20.19 requires them as they are, Jest needs them compiled.
const transformIgnorePatterns = ['/node_modules/(?!(@scure|@noble|openid-client|oauth4webapi|jose)/)'];
const common = { transform: { '^.+\\.(t|j)sx?$': swc }, transformIgnorePatterns, moduleNameMapper, testEnvironment: 'node', rootDir: __dirname };

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/libs/**/src/**/*.spec.ts', '<rootDir>/apps/*/src/**/*.spec.ts'] },
    { ...common, displayName: 'api', testMatch: ['<rootDir>/apps/api/test/**/*.e2e-spec.ts', '<rootDir>/libs/sdk/test/**/*.e2e-spec.ts'], setupFiles: ['<rootDir>/libs/testing/src/setup-env.ts'], setupFilesAfterEnv: ['<rootDir>/libs/testing/src/timeouts.integration.ts'] },
    // npm run test:cluster: the API tier once more, with REDIS_URL pointing at a three-master Redis Cluster it starts.
    {
      ...common,
      displayName: 'cluster',
      testMatch: ['<rootDir>/apps/api/test/**/*.e2e-spec.ts'],
      setupFiles: ['<rootDir>/libs/testing/src/setup-env.ts'],
      setupFilesAfterEnv: ['<rootDir>/libs/testing/src/timeouts.integration.ts'],
      globalSetup: '<rootDir>/libs/testing/src/cluster-global.ts',
      globalTeardown: '<rootDir>/libs/testing/src/cluster-global-teardown.ts',
    },
    // npm run scale-test: the system spread out (Redis Cluster, a PostgreSQL replica, two apis, two workers) under load and SIGKILLs.
    { ...common, displayName: 'scale', testMatch: ['<rootDir>/apps/api/test/**/*.scale-spec.ts'], setupFiles: ['<rootDir>/libs/testing/src/setup-env.ts'] },
    { ...common, displayName: 'worker', testMatch: ['<rootDir>/apps/worker/test/**/*.e2e-spec.ts'], setupFiles: ['<rootDir>/libs/testing/src/setup-env.ts'], setupFilesAfterEnv: ['<rootDir>/libs/testing/src/timeouts.integration.ts'] },
    { ...common, displayName: 'web', testMatch: ['<rootDir>/apps/web/e2e/**/*.e2e-spec.ts'], setupFiles: ['<rootDir>/libs/testing/src/setup-env.ts'], setupFilesAfterEnv: ['<rootDir>/apps/web/e2e/timeouts.web.ts'] },
  ],
};
