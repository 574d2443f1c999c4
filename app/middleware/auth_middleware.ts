import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import type { Authenticators } from '@adonisjs/auth/types'
import { errors as authErrors } from '@adonisjs/auth'
import { wantsEnvelope } from '#exceptions/handler'
import SessionTrackingService from '#services/session_tracking_service'

/**
 * Auth middleware is used authenticate HTTP requests and deny
 * access to unauthenticated users.
 */
export default class AuthMiddleware {
  /**
   * The URL to redirect to, when authentication fails
   */
  redirectTo = '/login'

  async handle(
    ctx: HttpContext,
    next: NextFn,
    options: {
      guards?: (keyof Authenticators)[]
    } = {}
  ) {
    await ctx.auth.authenticateUsing(options.guards, { loginRoute: this.redirectTo })

    // A console session its user ended elsewhere (or a password change ended) is signed out here.
    if (ctx.auth.authenticatedViaGuard === 'web' && !(await SessionTrackingService.check(ctx))) {
      if (wantsEnvelope(ctx)) {
        throw new authErrors.E_UNAUTHORIZED_ACCESS('This session has ended', {
          guardDriverName: 'session',
        })
      }
      ctx.session.flash('error', 'This session has ended: sign in again.')
      return ctx.response.redirect().toPath(this.redirectTo)
    }
    return next()
  }
}
