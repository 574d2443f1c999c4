import type { HttpContext } from '@adonisjs/core/http'
import AuditService from '#services/audit_service'
import AuthService from '#services/auth_service'
import SessionTrackingService from '#services/session_tracking_service'
import { sessionLoginValidator } from '#validators/auth'

/**
 * The console's sign-in pages: the same AuthService path, brute-force
 * limits and audit actions as the JSON session routes, answered with pages,
 * redirects and flash messages.
 */
export default class SessionController {
  /** The sign-in form. */
  async create({ view }: HttpContext) {
    return view.render('pages/auth/login')
  }

  /** Signs in; back to the form with the reason when refused. */
  async store(ctx: HttpContext) {
    const payload = await ctx.request.validateUsing(sessionLoginValidator)
    // Refusals (wrong password, too many attempts…) go back to the form with
    // the reason and are audited by the exception handler.
    const { user, tenant, candidates } = await AuthService.startSession(payload, ctx.request.ip())
    // Regenerates the session id (no fixation) and stores the user.
    await ctx.auth.use('web').login(user, payload.remember === true)
    await SessionTrackingService.start(ctx, user)
    if (tenant) ctx.session.put('organization_id', tenant.organization.id)
    await AuditService.record(
      AuditService.fromRequest(ctx, {
        action: 'auth.login',
        httpStatus: 302,
        message: 'Logged in',
        actorUserId: user.id,
        organizationId: tenant?.organization.id ?? null,
        subject: { type: 'user', id: user.id },
        changes: { email: payload.email, via: 'console', remember: payload.remember === true },
      })
    )
    if (tenant) return ctx.response.redirect().toRoute('dashboard')
    // A platform operator who belongs to no organization starts on the platform pages.
    const operator = user.isSuperAdmin && candidates.length === 0
    return ctx.response
      .redirect()
      .toRoute(operator ? 'platform.organizations.index' : 'organizations.choose')
  }

  /** Signs out and forgets the chosen organization. */
  async destroy(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    await SessionTrackingService.end(ctx)
    await ctx.auth.use('web').logout()
    ctx.session.forget('organization_id')
    await AuditService.record(
      AuditService.fromRequest(ctx, {
        action: 'auth.logout',
        httpStatus: 302,
        message: 'Logged out',
        actorUserId: user.id,
        subject: { type: 'user', id: user.id },
      })
    )
    ctx.session.flash('success', 'You are signed out.')
    return ctx.response.redirect().toRoute('login')
  }
}
