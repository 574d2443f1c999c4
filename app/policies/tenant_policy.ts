import { inject } from '@adonisjs/core'
import { HttpContext } from '@adonisjs/core/http'
import { AuthorizationResponse, BasePolicy } from '@adonisjs/bouncer'
import type { Permission } from '#enums/permissions'

/**
 * Base of the policies of tenant resources: decisions come from the
 * permissions of the acting member (role ∩ token abilities) on
 * `ctx.tenant`. Super-admins get no bypass here; platform routes have their
 * own policy.
 */
@inject()
export default abstract class TenantPolicy extends BasePolicy {
  constructor(protected ctx: HttpContext) {
    super()
  }

  protected permits(permission: Permission) {
    return this.ctx.tenant?.can(permission)
      ? true
      : AuthorizationResponse.deny(
          `Your role or token does not allow this (needs "${permission}").`,
          403
        )
  }
}
