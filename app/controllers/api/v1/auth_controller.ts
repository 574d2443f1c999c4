import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import AuthService from '#services/auth_service'
import { loginValidator, registerValidator } from '#validators/auth'
import { presentMembership, presentNewToken, presentUser } from '#support/presenters'

export default class AuthController extends BaseController {
  /**
   * Exchanges email and password for an organization-bound API token.
   */
  async login(ctx: HttpContext) {
    const payload = await ctx.request.validateUsing(loginValidator)
    const { user, tenant, token } = await AuthService.login(payload, ctx.request.ip())
    return this.successWithLog(ctx, {
      action: 'auth.login',
      actorUserId: user.id,
      organizationId: tenant.organization.id,
      subject: { type: 'user', id: user.id },
      changes: { email: payload.email, token_name: token.name, abilities: token.abilities },
      data: {
        token: presentNewToken(token),
        user: presentUser(user),
        ...presentMembership(tenant),
      },
      message: 'Logged in',
    })
  }

  /**
   * Creates an account and its organization; the new user is its owner.
   */
  async register(ctx: HttpContext) {
    const payload = await ctx.request.validateUsing(registerValidator)
    const { user, tenant, token } = await AuthService.register(payload)
    return this.successWithLog(ctx, {
      action: 'auth.registered',
      actorUserId: user.id,
      organizationId: tenant.organization.id,
      subject: { type: 'organization', id: tenant.organization.id },
      changes: {
        name: payload.name,
        email: payload.email,
        organization_name: payload.organization_name,
      },
      data: {
        token: presentNewToken(token),
        user: presentUser(user),
        ...presentMembership(tenant),
      },
      message: 'Account and organization created',
      status: 201,
    })
  }

  /**
   * The current user, organization, role and effective permissions.
   */
  async me(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    return this.success(ctx, { user: presentUser(user), ...presentMembership(ctx.tenant) })
  }

  /**
   * Revokes the token the request was made with.
   */
  async logout(ctx: HttpContext) {
    const tokenId = ctx.auth.use('api').user!.currentAccessToken.identifier
    await ctx.auth.use('api').invalidateToken()
    return this.successWithLog(ctx, {
      action: 'auth.logout',
      subject: { type: 'access_token', id: String(tokenId) },
      data: null,
      message: 'Logged out: the token is revoked',
    })
  }
}
