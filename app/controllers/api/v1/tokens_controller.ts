import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import AccessToken from '#models/access_token'
import TokenPolicy from '#policies/token_policy'
import TokenService from '#services/token_service'
import { createTokenValidator } from '#validators/token'
import { presentNewToken } from '#support/presenters'

/**
 * A stored token: never its hash, never a value. Ids are numbers, as in
 * presentNewToken (PostgreSQL hands bigints over as strings).
 */
function presentToken(token: AccessToken, currentTokenId: number | null) {
  return {
    id: Number(token.id),
    name: token.name,
    abilities: token.abilities,
    user: token.user ? { id: token.user.id, name: token.user.name, email: token.user.email } : null,
    last_used_at: token.lastUsedAt?.toISO() ?? null,
    expires_at: token.expiresAt?.toISO() ?? null,
    created_at: token.createdAt.toISO(),
    is_current: Number(token.id) === currentTokenId,
  }
}

export default class TokensController extends BaseController {
  /**
   * The caller's tokens in this organization; everyone's with
   * `tokens.manage`. Newest first.
   */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(TokenPolicy).authorize('viewAny')
    const { page, perPage } = await this.pageParams(ctx)
    const user = ctx.auth.getUserOrFail()
    const everyone = await ctx.bouncer.with(TokenPolicy).allows('viewAll')
    const tokens = await TokenService.list(everyone ? null : user.id).paginateInOne(page, perPage)
    const currentTokenId = Number(user.currentAccessToken?.identifier) || null
    return this.paginated(ctx, tokens, (token) => presentToken(token, currentTokenId))
  }

  /**
   * Creates a token for the caller; its plain value is shown only here.
   */
  async store(ctx: HttpContext) {
    await ctx.bouncer.with(TokenPolicy).authorize('create')
    const payload = await ctx.request.validateUsing(createTokenValidator)
    const user = ctx.auth.getUserOrFail()
    const token = await TokenService.create(
      user,
      ctx.tenant,
      payload,
      user.currentAccessToken?.abilities
    )
    return this.successWithLog(ctx, {
      action: 'token.created',
      subject: { type: 'access_token', id: String(token.identifier) },
      changes: {
        name: token.name,
        abilities: token.abilities,
        expires_at: token.expiresAt?.toISOString() ?? null,
      },
      data: presentNewToken(token),
      message: 'Token created: copy its value now, it is not shown again',
      status: 201,
    })
  }

  /**
   * Revokes one of the caller's tokens, or anyone's with `tokens.manage`.
   */
  async destroy(ctx: HttpContext) {
    const token = await AccessToken.findOrFail(ctx.params.id)
    await ctx.bouncer.with(TokenPolicy).authorize('revoke', token)
    const audit = await TokenService.revoke(token)
    return this.successWithLog(ctx, {
      ...audit,
      data: null,
      message: 'Token revoked',
    })
  }
}
