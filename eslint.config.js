// Lint as agent-starter-node does: ESLint's and typescript-eslint's recommended rules, with layout left to
// Prettier (eslint-config-prettier turns off every rule that would argue with it). `npm run lint` runs both
// and allows no warning, stale disable comments included.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig([
  globalIgnores(['dist/', '.stack/', 'bench-results/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // `const { secret: _omitted, ...rest } = value` is how this code leaves a field out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  prettier,
]);
