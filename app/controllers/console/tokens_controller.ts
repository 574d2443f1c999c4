import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import AccessToken from '#models/access_token'
import TokenPolicy from '#policies/token_policy'
import RoleService from '#services/role_service'
import TokenService from '#services/token_service'
import { createTokenValidator } from '#validators/token'
import { ALL_ABILITIES } from '#enums/permissions'

/** Lifetimes offered by the form (the validator's duration syntax); 90 days is the default. */
const EXPIRY_OPTIONS = [
  { value: '7 days', label: '7 days' },
  { value: '30 days', label: '30 days' },
  { value: '90 days', label: '90 days' },
  { value: '365 days', label: '1 year' },
  { value: 'never', label: 'Never (not recommended)' },
]

/**
 * The console's API tokens page: the same service, policy, validator and
 * audit actions as `/api/v1/tokens`.
 */
export default class TokensController extends BaseController {
  /**
   * The member's tokens (everyone's with `tokens.manage`), the form of a new
   * one, and a just-created token's value, flashed for this one page load.
   */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(TokenPolicy).authorize('viewAny')
    const { page, perPage } = await this.pageParams(ctx)
    const everyone = await ctx.bouncer.with(TokenPolicy).allows('viewAll')
    const tokens = await TokenService.list(
      everyone ? null : ctx.tenant.membership.userId
    ).paginateInOne(page, perPage)
    // The page may carry a secret: no browser or proxy keeps a copy.
    ctx.response.header('Cache-Control', 'no-store')
    return ctx.view.render('pages/tokens/index', {
      tokens: tokens.all(),
      everyone,
      meta: this.pageMeta(tokens),
      catalogue: RoleService.catalogue()
        .map(({ area, permissions }) => ({
          area,
          permissions: permissions.filter(({ key }) => ctx.tenant.can(key)),
        }))
        .filter(({ permissions }) => permissions.length > 0),
      expiryOptions: EXPIRY_OPTIONS,
      allAbilities: ALL_ABILITIES,
    })
  }

  /** Creates a token for the member; its value is shown once, on the next page. */
  async store(ctx: HttpContext) {
    await ctx.bouncer.with(TokenPolicy).authorize('create')
    // Nothing ticked must not fall back to the API's default of every permission.
    const payload = await ctx.request.validateUsing(createTokenValidator, {
      data: { abilities: [], ...ctx.request.body() },
    })
    const user = ctx.auth.getUserOrFail()
    const token = await TokenService.create(user, ctx.tenant, payload)
    ctx.session.flash('plainToken', token.value!.release())
    return this.redirectWithLog(ctx, {
      action: 'token.created',
      subject: { type: 'access_token', id: String(token.identifier) },
      changes: {
        name: token.name,
        abilities: token.abilities,
        expires_at: token.expiresAt?.toISOString() ?? null,
      },
      message: `Token "${token.name}" created: copy its value now, it is not shown again.`,
      route: 'tokens.index',
    })
  }

  /** Revokes one of the member's tokens, or anyone's with `tokens.manage`. */
  async destroy(ctx: HttpContext) {
    const token = await AccessToken.findOrFail(ctx.params.id)
    await ctx.bouncer.with(TokenPolicy).authorize('revoke', token)
    const audit = await TokenService.revoke(token)
    return this.redirectWithLog(ctx, {
      ...audit,
      message: `Token "${token.name}" revoked.`,
      route: 'tokens.index',
    })
  }
}
