// Type-aware lint for every project; Nx module boundaries keep the domain
// libraries free of frameworks and projects talking only through public entries.
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.data/**', '.nx/**', 'test-results/**', 'coverage/**', '**/*.js', '**/*.mjs', '**/*.cjs', 'apps/web/vite.config.mts'] },
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
          // The browser tests drive the real API through the same harness as the API tests.
          allow: ['../../api/test/harness'],
          depConstraints: [
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'] },
            { sourceTag: 'type:server', onlyDependOnLibsWithTags: ['type:domain', 'type:server'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:domain', 'type:server'] },
          ],
        },
      ],
    },
  },
  {
    // The domain libraries know no framework.
    files: ['libs/plans/**/*.ts', 'libs/audit-core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@nestjs/*', '@mikro-orm/*', 'bullmq', 'react', 'react-dom', 'pg', 'ioredis'], message: 'Domain libraries stay framework-free.' }] },
      ],
    },
  },
  {
    // Generated migrations are async by MikroORM's contract.
    files: ['libs/platform/src/migrations/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // Tests and fixtures read loosely typed JSON answers.
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', 'apps/*/test/**/*.ts', 'apps/*/e2e/**/*.ts'],
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
