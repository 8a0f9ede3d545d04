// Lint rules: typescript-eslint's recommended set plus the rules that keep
// Node's type stripping happy (no enums/namespaces: erasableSyntaxOnly in tsconfig).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/.tap/**', '**/dist/**', 'chart/**', 'terraform/**', 'bench-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
)
