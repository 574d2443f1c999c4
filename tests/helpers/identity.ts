import Role from '#models/role'
import Membership from '#models/membership'
import User from '#models/user'
import type Organization from '#models/organization'
import OrganizationService from '#services/organization_service'
import { TenantContext } from '#support/tenant_context'
import type { SystemRole } from '#enums/permissions'
import { UserFactory } from '#database/factories/user_factory'

/**
 * A new organization with an owner, through the real service.
 */
export async function createOrganization(name = 'Acme Support') {
  const owner = await UserFactory.create()
  const organization = await OrganizationService.create({ name }, owner)
  return { organization, owner }
}

/**
 * Adds a user with a built-in role to an organization.
 */
export async function addMember(organization: Organization, role: `${SystemRole}`, user?: User) {
  const member = user ?? (await UserFactory.create())
  await TenantContext.run(organization.id, async () => {
    const systemRole = await Role.query()
      .where('slug', role)
      .whereNull('organization_id')
      .firstOrFail()
    await Membership.create({ userId: member.id, roleId: systemRole.id, status: 'active' })
  })
  return member
}

/**
 * A plain API token for `user` in `organization`.
 */
export async function tokenFor(
  user: User,
  organization: Organization,
  options: { abilities?: string[]; expiresIn?: string | number } = {}
) {
  const token = await User.accessTokens.create(user, options.abilities ?? ['*'], {
    organizationId: organization.id,
    name: 'test',
    expiresIn: options.expiresIn,
  })
  return token.value!.release()
}
