// Type-aware lint for every project; Nx module boundaries keep the domain
// libraries free of frameworks and projects talking only through public entries.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.data/**', '.nx/**', 'test-results/**', 'coverage/**', 'libs/sdk/src/openapi.ts', '**/*.js', '**/*.mjs', '**/*.cjs', 'apps/web/vite.config.mts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          depConstraints: [
            // Scope: the console takes only what is shared with the browser; server code never reaches into the console.
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            // Published packages install alone: they depend on nothing of ours but each other.
            { sourceTag: 'scope:public', onlyDependOnLibsWithTags: ['scope:public'] },
            { sourceTag: 'scope:server', onlyDependOnLibsWithTags: ['scope:shared', 'scope:server', 'scope:testing', 'scope:public'] },
            { sourceTag: 'scope:testing', onlyDependOnLibsWithTags: ['scope:shared', 'scope:server', 'scope:public'] },
            { sourceTag: 'scope:web', onlyDependOnLibsWithTags: ['scope:shared', 'scope:testing', 'scope:public'] },
            // Type: domain libs know only each other; data knows the domain; engines call data; apps wire everything.
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:domain', 'type:util'] },
            { sourceTag: 'type:data', onlyDependOnLibsWithTags: ['type:domain', 'type:util'] },
            { sourceTag: 'type:engine', onlyDependOnLibsWithTags: ['type:domain', 'type:util', 'type:data'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:domain', 'type:util', 'type:data', 'type:engine'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:domain', 'type:util', 'type:data', 'type:engine', 'type:testing'] },
          ],
        },
      ],
    },
  },
  {
    // A published package's own tests may use the harness and the domain (the package itself may not).
    files: ['libs/sdk/test/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': ['error', { depConstraints: [{ sourceTag: 'scope:public', onlyDependOnLibsWithTags: ['scope:public', 'scope:shared', 'scope:testing'] }] }],
    },
  },
  {
    // The domain libraries know no framework.
    files: ['libs/plans/**/*.ts', 'libs/audit-core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@nestjs/*', '@mikro-orm/*', 'bullmq', 'react', 'react-dom', 'pg', 'ioredis', '@audit-trail/testing'], message: 'Domain libraries stay framework-free.' }] },
      ],
    },
  },
  {
    // The test harness is for tests: production code never imports it (the scope rule above lets test folders in).
    files: ['apps/*/src/**/*.ts', 'apps/*/src/**/*.tsx', 'libs/*/src/**/*.ts'],
    ignores: ['libs/testing/**', 'libs/plans/**', 'libs/audit-core/**'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@audit-trail/testing'], message: 'Only tests use the test harness.' }] }],
    },
  },
  {
    // Every SQL statement lives in a libs/data repository; the apps call them.
    files: ['apps/*/src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: 'Literal[value=/^\\s*(SELECT\\s[^]*\\bFROM\\s|SELECT\\s+\\w+\\(|INSERT\\s+INTO\\s|UPDATE\\s+\\w+\\s+SET\\s|DELETE\\s+FROM\\s|WITH\\s+\\w+\\s+AS\\s*\\(|BEGIN\\b|(ALTER|CREATE|DROP)\\s+(TABLE|INDEX|ROLE|FUNCTION)\\s)/i]', message: 'SQL belongs in a libs/data repository.' },
        { selector: 'TemplateElement[value.raw=/^\\s*(SELECT\\s[^]*\\bFROM\\s|SELECT\\s+\\w+\\(|INSERT\\s+INTO\\s|UPDATE\\s+\\w+\\s+SET\\s|DELETE\\s+FROM\\s|WITH\\s+\\w+\\s+AS\\s*\\(|BEGIN\\b|(ALTER|CREATE|DROP)\\s+(TABLE|INDEX|ROLE|FUNCTION)\\s)/i]', message: 'SQL belongs in a libs/data repository.' },
      ],
    },
  },
  {
    // Generated migrations are async by MikroORM's contract.
    files: ['libs/data/src/migrations/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // Tests and fixtures read loosely typed JSON answers.
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'apps/*/test/**/*.ts', 'apps/*/e2e/**/*.ts', 'libs/testing/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
