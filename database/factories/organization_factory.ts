import factory from '@adonisjs/lucid/factories'
import Organization from '#models/organization'

export const OrganizationFactory = factory
  .define(Organization, ({ faker }) => {
    const name = faker.company.name()
    return {
      name,
      slug: `${faker.helpers.slugify(name).toLowerCase().slice(0, 40)}-${faker.string.alphanumeric(6).toLowerCase()}`,
      status: 'active' as const,
      plan: 'free',
      settings: {},
    }
  })
  .state('suspended', (organization) => {
    organization.status = 'suspended'
  })
  .build()
