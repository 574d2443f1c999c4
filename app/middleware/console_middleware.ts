import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import AuthService from '#services/auth_service'

/**
 * Runs after `auth` (and `tenant` when the page has one): shares what the
 * console layout shows on every page — the signed-in user, the current
 * organization and the organizations the switcher offers.
 */
export default class ConsoleMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const { candidates } = await AuthService.chooseOrganization(ctx.auth.getUserOrFail())
    ctx.view.share({
      currentUser: ctx.auth.user,
      currentOrganization: ctx.tenant?.organization ?? null,
      organizations: candidates.map((membership) => membership.organization),
    })
    return next()
  }
}
