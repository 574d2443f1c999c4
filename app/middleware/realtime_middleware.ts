import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import SessionTrackingService from '#services/session_tracking_service'
import TenantService from '#services/tenant_service'

/**
 * On the SSE subscribe routes: finds out, without refusing anyone, who is
 * asking — a member by API token or console session, with the
 * organization they act in (`ctx.tenant`). Channel authorization
 * (start/transmit.ts) then decides; visitors prove themselves with their
 * visitor token instead.
 */
export default class RealtimeMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    try {
      const bearer = ctx.request.header('authorization')?.startsWith('Bearer ')
      if (bearer) {
        const user = await ctx.auth.use('api').authenticate()
        const token = user.currentAccessToken
        if (token?.organizationId) {
          ctx.tenant = await TenantService.resolve(
            user,
            Number(token.organizationId),
            token.abilities
          )
        }
      } else if (ctx.session && (await ctx.auth.use('web').check())) {
        const organizationId = ctx.session.get('organization_id')
        if (organizationId && (await SessionTrackingService.check(ctx))) {
          ctx.tenant = await TenantService.resolve(
            ctx.auth.use('web').user!,
            Number(organizationId)
          )
        }
      }
    } catch {
      // Not a member (bad token, ended session…): channel authorization decides.
    }
    return next()
  }
}
