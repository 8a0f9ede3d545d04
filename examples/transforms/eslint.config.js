// The example scripts are sandbox scripts, not modules: they define transform() for the
// relay to call, and use the sandbox's globals (console, relay).
import root from '../../eslint.config.js'

export default [
  ...root,
  {
    files: ['*.js'],
    ignores: ['eslint.config.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { console: 'readonly', relay: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { varsIgnorePattern: '^transform$' }],
    },
  },
]
