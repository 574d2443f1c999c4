import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import ApiException from '#exceptions/api_exception'
import AuthService from '#services/auth_service'
import SessionTrackingService from '#services/session_tracking_service'
import TenantService from '#services/tenant_service'
import { sessionLoginValidator, switchOrganizationValidator } from '#validators/auth'
import { presentMembership, presentUser } from '#support/presenters'

/**
 * Console sign-in with a session cookie (JSON for now; the console pages
 * post to the same routes). Same credentials checks and brute-force limits
 * as the API login.
 */
export default class SessionController extends BaseController {
  async store(ctx: HttpContext) {
    const payload = await ctx.request.validateUsing(sessionLoginValidator)
    const { user, candidates, tenant } = await AuthService.startSession(payload, ctx.request.ip())

    // Regenerates the session id (no fixation) and stores the user.
    await ctx.auth.use('web').login(user, payload.remember === true)
    await SessionTrackingService.start(ctx, user)
    if (tenant) ctx.session.put('organization_id', tenant.organization.id)

    return this.successWithLog(ctx, {
      action: 'auth.login',
      actorUserId: user.id,
      organizationId: tenant?.organization.id ?? null,
      subject: { type: 'user', id: user.id },
      changes: { email: payload.email, via: 'session' },
      data: {
        user: presentUser(user),
        organizations: candidates.map((membership) => ({
          id: membership.organization.id,
          slug: membership.organization.slug,
          name: membership.organization.name,
        })),
        current: tenant ? presentMembership(tenant) : null,
      },
      message: tenant ? 'Logged in' : 'Logged in: choose an organization',
    })
  }

  /**
   * Picks the organization the console acts in (remembered in the session):
   * JSON in, envelope out; a form post is redirected to the dashboard.
   */
  async switchOrganization(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const { organization } = await ctx.request.validateUsing(switchOrganizationValidator)
    const { chosen } = await AuthService.chooseOrganization(user, organization)
    if (!chosen) throw ApiException.notFound('You are not a member of that organization.')

    const tenant = await TenantService.resolve(user, chosen.organizationId)
    ctx.session.put('organization_id', tenant.organization.id)

    const audit = {
      action: 'auth.organization_switched',
      organizationId: tenant.organization.id,
      subject: { type: 'organization', id: tenant.organization.id },
      message: `Now working in ${tenant.organization.name}`,
    }
    // The console's switcher and chooser post a form: answer like a page.
    if (!ctx.request.is(['json'])) {
      return this.redirectWithLog(ctx, { ...audit, route: 'dashboard' })
    }
    return this.successWithLog(ctx, { ...audit, data: presentMembership(tenant) })
  }

  /**
   * Who is signed in, and in which organization.
   */
  async show(ctx: HttpContext) {
    return this.success(ctx, {
      user: presentUser(ctx.auth.getUserOrFail()),
      ...presentMembership(ctx.tenant),
    })
  }

  async destroy(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    await SessionTrackingService.end(ctx)
    await ctx.auth.use('web').logout()
    ctx.session.forget('organization_id')
    return this.successWithLog(ctx, {
      action: 'auth.logout',
      actorUserId: user.id,
      subject: { type: 'user', id: user.id },
      data: null,
      message: 'Logged out',
    })
  }
}
