import { configApp } from '@adonisjs/eslint-config'

export default configApp(
  { ignores: ['build/**', 'tmp/**', 'storage/**', 'public/vendor/**'] },
  {
    // Tests read better as `(await find()).field` than with a temporary per value.
    files: ['tests/**/*.ts'],
    rules: { '@unicorn/no-await-expression-member': 'off' },
  }
)
