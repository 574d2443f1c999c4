import db from '@adonisjs/lucid/services/db'
import Membership from '#models/membership'
import Organization from '#models/organization'
import Role from '#models/role'
import type User from '#models/user'
import ApiException from '#exceptions/api_exception'
import { Tenant } from '#support/tenant'
import { columnsOf, modelFrom } from '#support/joined_models'

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

    // Every request resolves its tenant: the organization, the membership
    // and its role come from one query.
    const row = await db
      .from('organizations')
      .leftJoin('memberships', (join) => {
        join
          .on('memberships.organization_id', '=', 'organizations.id')
          .andOnVal('memberships.user_id', '=', user.id)
      })
      .leftJoin('roles', 'roles.id', 'memberships.role_id')
      .where('organizations.id', organizationId)
      .whereNull('organizations.deleted_at')
      .select([
        ...columnsOf(Organization, 'organizations', 'o'),
        ...columnsOf(Membership, 'memberships', 'm'),
        ...columnsOf(Role, 'roles', 'r'),
      ])
      .first()

    const organization = row ? modelFrom(Organization, row, 'o') : null
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

    const membership = modelFrom(Membership, row, 'm')
    const role = modelFrom(Role, row, 'r')
    if (!membership || !role || membership.status !== 'active') {
      throw new ApiException(
        'You are not an active member of this organization any more.',
        'MEMBERSHIP_INACTIVE',
        403
      )
    }
    membership.$setRelated('role', role)

    // Built-in roles take their permissions from code; custom ones from rows.
    if (!membership.role.isSystem) await membership.role.load('grants')

    return new Tenant(organization, membership, membership.role, abilities)
  }
}
