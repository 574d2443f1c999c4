import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { TenantContext } from '#support/tenant_context'

/**
 * Platform routes (`/api/v1/admin/*`) work across organizations: they run
 * outside any tenant, visibly. Who may use them is decided by PlatformPolicy
 * in each action.
 */
export default class PlatformMiddleware {
  async handle(_ctx: HttpContext, next: NextFn) {
    return TenantContext.asPlatform(() => next())
  }
}
