import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import ApiException from '#exceptions/api_exception'
import { wantsEnvelope } from '#exceptions/handler'
import TenantService from '#services/tenant_service'
import { TenantContext } from '#support/tenant_context'

/**
 * Runs after `auth`: resolves the organization the request acts in (the
 * token's organization, or the one chosen in the console session), sets
 * `ctx.tenant`, and runs the rest of the request inside that tenant so
 * every tenant-scoped query is filtered by it. Console pages pass
 * `chooser: true` to send a user who has not chosen one to the chooser.
 */
export default class TenantMiddleware {
  async handle(ctx: HttpContext, next: NextFn, options: { chooser?: boolean } = {}) {
    const user = ctx.auth.getUserOrFail()
    const token = user.currentAccessToken
    const organizationId = token?.organizationId ?? ctx.session?.get('organization_id')
    if (!organizationId) {
      // A console page without a chosen organization: let the user pick one.
      if (options.chooser && !token && !wantsEnvelope(ctx)) {
        return ctx.response.redirect().toRoute('organizations.choose')
      }
      throw new ApiException('Choose an organization first.', 'ORGANIZATION_REQUIRED', 403)
    }

    try {
      ctx.tenant = await TenantService.resolve(user, Number(organizationId), token?.abilities)
    } catch (error) {
      // The organization chosen in the session was deleted since: choose another.
      const gone = error instanceof ApiException && error.status === 401
      if (gone && options.chooser && !token && !wantsEnvelope(ctx)) {
        ctx.session.forget('organization_id')
        ctx.session.flash('error', error.message)
        return ctx.response.redirect().toRoute('organizations.choose')
      }
      throw error
    }
    return TenantContext.run(ctx.tenant.organization.id, () => next())
  }
}
