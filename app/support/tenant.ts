import type Organization from '#models/organization'
import type Membership from '#models/membership'
import type Role from '#models/role'
import { ALL_ABILITIES, ALL_PERMISSIONS, type Permission } from '#enums/permissions'

/**
 * Who is acting, in which organization, with which permissions: the
 * member's role narrowed by the token's abilities (when a token is used).
 * Set on `ctx.tenant` by TenantMiddleware; policies decide from it.
 */
export class Tenant {
  readonly permissions: ReadonlySet<Permission>

  constructor(
    readonly organization: Organization,
    readonly membership: Membership,
    readonly role: Role,
    abilities?: string[]
  ) {
    const granted = role.permissions
    const allowed = !abilities || abilities.includes(ALL_ABILITIES) ? ALL_PERMISSIONS : abilities
    this.permissions = new Set(granted.filter((permission) => allowed.includes(permission)))
  }

  can(permission: Permission) {
    return this.permissions.has(permission)
  }
}

declare module '@adonisjs/core/http' {
  interface HttpContext {
    tenant: Tenant
  }
}
