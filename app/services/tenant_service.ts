import Membership from '#models/membership'
import Organization from '#models/organization'
import type User from '#models/user'
import ApiException from '#exceptions/api_exception'
import { Tenant } from '#support/tenant'
import { TenantContext } from '#support/tenant_context'

export default class TenantService {
  /**
   * The acting member of an organization, or the reason they cannot act:
   * a suspended organization, a disabled account or a membership that is
   * gone or disabled.
   */
  static async resolve(user: User, organizationId: number, abilities?: string[]): Promise<Tenant> {
    if (user.status !== 'active') {
      throw new ApiException(
        'This account is disabled: contact an organization owner.',
        'ACCOUNT_DISABLED',
        403
      )
    }

    const organization = await Organization.find(organizationId)
    if (!organization) {
      throw new ApiException('This organization no longer exists.', 'UNAUTHENTICATED', 401)
    }
    if (organization.isSuspended) {
      throw new ApiException(
        'This organization is suspended: contact support to reactivate it.',
        'ORGANIZATION_SUSPENDED',
        403
      )
    }

    const membership = await TenantContext.run(organization.id, () =>
      Membership.query().where('user_id', user.id).preload('role').first()
    )
    if (!membership || membership.status !== 'active') {
      throw new ApiException(
        'You are not an active member of this organization any more.',
        'MEMBERSHIP_INACTIVE',
        403
      )
    }

    // Built-in roles take their permissions from code; custom ones from rows.
    if (!membership.role.isSystem) await membership.role.load('grants')

    return new Tenant(organization, membership, membership.role, abilities)
  }
}
