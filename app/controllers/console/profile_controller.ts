import type { HttpContext } from '@adonisjs/core/http'
import router from '@adonisjs/core/services/router'
import BaseController from '#controllers/base_controller'
import AccessToken from '#models/access_token'
import TokenPolicy from '#policies/token_policy'
import SessionTrackingService from '#services/session_tracking_service'
import TokenService from '#services/token_service'
import UserService from '#services/user_service'
import {
  changeEmailValidator,
  changePasswordValidator,
  updateProfileValidator,
} from '#validators/profile'

let tokensPageExists: boolean | undefined

/** Whether the console has a tokens page to create tokens on (routes are fixed after boot). */
function hasTokensPage() {
  tokensPageExists ??= Object.values(router.toJSON()).some((routes) =>
    routes.some((route) => route.name === 'tokens.index')
  )
  return tokensPageExists
}

/**
 * The signed-in user's own account: name, email, password, console
 * sessions and API tokens in the current organization.
 */
export default class ProfileController extends BaseController {
  /** The profile page. */
  async show(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const { page, perPage } = await this.pageParams(ctx)
    const sessions = await SessionTrackingService.list(user, ctx.session.sessionId)
    const tokens = await AccessToken.query()
      .where('user_id', user.id)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .paginateInOne(page, perPage)
    return ctx.view.render('pages/profile/show', {
      user,
      sessions,
      tokens: tokens.all(),
      tokensMeta: this.pageMeta(tokens),
      tokensPage: hasTokensPage(),
    })
  }

  /** Renames the signed-in user. */
  async update(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const payload = await ctx.request.validateUsing(updateProfileValidator)
    const changes = await UserService.updateProfile(user, payload)
    return this.redirectWithLog(ctx, {
      action: 'user.updated',
      subject: { type: 'user', id: user.id },
      changes,
      message: 'Profile saved.',
      route: 'profile.show',
    })
  }

  /** Moves the account to a new email (current password required); mails a verification link. */
  async updateEmail(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const { email } = await ctx.request.validateUsing(changeEmailValidator, { meta: { user } })
    const change = await UserService.changeEmail(user, email)
    return this.redirectWithLog(ctx, {
      action: 'user.email_changed',
      subject: { type: 'user', id: user.id },
      changes: { email: change },
      message: `Email changed. Follow the link sent to ${user.email} to verify it.`,
      route: 'profile.show',
    })
  }

  /** Changes the password (current one required) and signs out every other session. */
  async updatePassword(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const { password } = await ctx.request.validateUsing(changePasswordValidator, {
      meta: { user },
    })
    const ended = await UserService.changePassword(user, password, ctx.session.sessionId)
    return this.redirectWithLog(ctx, {
      action: 'user.password_changed',
      subject: { type: 'user', id: user.id },
      changes: { sessions_ended: ended },
      message: 'Password changed. Your other sessions are signed out.',
      route: 'profile.show',
    })
  }

  /** Ends one of the user's other console sessions. */
  async destroySession(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const session = await SessionTrackingService.revoke(user, ctx.params.id, ctx.session.sessionId)
    return this.redirectWithLog(ctx, {
      action: 'auth.session_revoked',
      subject: { type: 'user_session', id: session.id },
      changes: { ip: session.ip, user_agent: session.userAgent },
      message: 'Session ended: that browser is signed out.',
      route: 'profile.show',
    })
  }

  /** Ends every console session of the user but this one. */
  async destroyOtherSessions(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const ended = await SessionTrackingService.endOthers(user.id, ctx.session.sessionId)
    return this.redirectWithLog(ctx, {
      action: 'auth.sessions_revoked',
      subject: { type: 'user', id: user.id },
      changes: { sessions_ended: ended },
      message: ended === 1 ? '1 other session signed out.' : `${ended} other sessions signed out.`,
      route: 'profile.show',
    })
  }

  /** Revokes one of the user's own API tokens in this organization (as DELETE /api/v1/tokens/:id). */
  async destroyToken(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    const token = await AccessToken.query()
      .where('user_id', user.id)
      .where('id', ctx.params.id)
      .firstOrFail()
    await ctx.bouncer.with(TokenPolicy).authorize('revoke', token)
    const audit = await TokenService.revoke(token)
    return this.redirectWithLog(ctx, {
      ...audit,
      message: 'Token revoked',
      route: 'profile.show',
    })
  }
}
