import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import PasswordResetService from '#services/password_reset_service'
import { forgotPasswordValidator, resetPasswordValidator } from '#validators/password'

/**
 * The console's forgotten-password pages: the same service, throttles and
 * audit actions as POST /api/v1/auth/password/forgot and …/reset.
 */
export default class PasswordController extends BaseController {
  /** The "forgot password" form. */
  async forgot({ view }: HttpContext) {
    return view.render('pages/auth/forgot_password')
  }

  /**
   * Mails a reset link; the answer is the same whether or not the email
   * belongs to an account.
   */
  async sendLink(ctx: HttpContext) {
    const { email } = await ctx.request.validateUsing(forgotPasswordValidator)
    await PasswordResetService.request(email)
    return this.redirectWithLog(ctx, {
      action: 'auth.password_reset_requested',
      changes: { email },
      message:
        'If an account uses this email, a link to reset its password is on its way. Check your inbox.',
      route: 'password.forgot',
    })
  }

  /** The new-password form a mailed link opens (the token travels in a hidden field). */
  async edit({ request, view }: HttpContext) {
    const token = request.qs().token
    return view.render('pages/auth/reset_password', {
      token: typeof token === 'string' ? token.slice(0, 128) : '',
    })
  }

  /**
   * Sets the new password with the mailed token, signs the user out
   * everywhere and sends them to sign in.
   */
  async update(ctx: HttpContext) {
    const { token, password } = await ctx.request.validateUsing(resetPasswordValidator, {
      meta: { confirm: true },
    })
    const { user, revokedTokens, endedSessions } = await PasswordResetService.reset(token, password)
    return this.redirectWithLog(ctx, {
      action: 'auth.password_reset',
      actorUserId: user.id,
      subject: { type: 'user', id: user.id },
      // Not "…tokens…": the audit redacts keys that look like secrets.
      changes: { api_clients_signed_out: revokedTokens, sessions_ended: endedSessions },
      message: 'Password changed. Sign in with the new password.',
      route: 'login',
    })
  }
}
