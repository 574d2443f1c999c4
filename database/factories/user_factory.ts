import factory from '@adonisjs/lucid/factories'
import User from '#models/user'

/**
 * Every factory user has the password `correct horse battery staple`.
 */
export const USER_PASSWORD = 'correct horse battery staple'

export const UserFactory = factory
  .define(User, ({ faker }) => ({
    name: faker.person.fullName(),
    email: faker.internet.email().toLowerCase(),
    password: USER_PASSWORD,
    isSuperAdmin: false,
    status: 'active' as const,
  }))
  .state('superAdmin', (user) => {
    user.isSuperAdmin = true
  })
  .state('disabled', (user) => {
    user.status = 'disabled'
  })
  .build()
