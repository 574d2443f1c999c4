import db from '@adonisjs/lucid/services/db'
import Membership from '#models/membership'
import Organization from '#models/organization'
import Role from '#models/role'
import RolePermission from '#models/role_permission'
import type User from '#models/user'
import ApiException from '#exceptions/api_exception'
import { Tenant } from '#support/tenant'
import { columnsOf, modelFrom } from '#support/joined_models'
import { AuthCache } from '#support/auth_cache'

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

    // Every request resolves its tenant: the organization, the membership,
    // its role and a custom role's grants come from one query (and the auth
    // cache, most of the time).
    const resolved = await AuthCache.remember(
      AuthCache.tenants,
      `${user.id}:${organizationId}`,
      () => this.#read(user.id, organizationId)
    )
    const row = resolved?.row
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
    // Built-in roles take their permissions from code; custom ones from their grants.
    if (!role.isSystem)
      role.$setRelated('grants', RolePermission.$createMultipleFromAdapterResult(resolved!.grants))
    membership.$setRelated('role', role)

    return new Tenant(organization, membership, role, abilities)
  }

  /** The rows a tenant is made of (null when the organization is gone). */
  static async #read(userId: number, organizationId: number) {
    const row = await db
      .from('organizations')
      .leftJoin('memberships', (join) => {
        join
          .on('memberships.organization_id', '=', 'organizations.id')
          .andOnVal('memberships.user_id', '=', userId)
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
    if (!row) return null
    const roleId = row.r__id
    const custom = roleId !== null && roleId !== undefined && !row.r__is_system
    const grants = custom
      ? await db.from(RolePermission.table).where('role_id', roleId).select('*')
      : []
    return { row, grants }
  }
}
