import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import PasswordResetService from '#services/password_reset_service'
import { forgotPasswordValidator, resetPasswordValidator } from '#validators/password'

export default class PasswordController extends BaseController {
  /**
   * Mails a reset link; the answer is the same whether or not the email
   * belongs to an account.
   */
  async forgot(ctx: HttpContext) {
    const { email } = await ctx.request.validateUsing(forgotPasswordValidator)
    await PasswordResetService.request(email)
    return this.successWithLog(ctx, {
      action: 'auth.password_reset_requested',
      changes: { email },
      data: null,
      message:
        'If an account uses this email, a link to reset its password is on its way. Check your inbox.',
      status: 202,
    })
  }

  /**
   * Sets a new password with the mailed token and signs the user out of
   * every API client.
   */
  async reset(ctx: HttpContext) {
    const { token, password } = await ctx.request.validateUsing(resetPasswordValidator)
    const { user, revokedTokens } = await PasswordResetService.reset(token, password)
    return this.successWithLog(ctx, {
      action: 'auth.password_reset',
      actorUserId: user.id,
      subject: { type: 'user', id: user.id },
      // Not "…tokens…": the audit redacts keys that look like secrets.
      changes: { api_clients_signed_out: revokedTokens },
      data: null,
      message: 'Password changed. Sign in with the new password.',
    })
  }
}
