import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import EmailVerificationService from '#services/email_verification_service'
import { verifyEmailValidator } from '#validators/email_verification'

export default class EmailVerificationController extends BaseController {
  /**
   * Mails the current user a link confirming their address, unless it is
   * confirmed already.
   */
  async send(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    if (user.emailVerifiedAt) {
      return this.success(
        ctx,
        { email: user.email, email_verified_at: user.emailVerifiedAt.toISO() },
        { message: 'Your email address is already verified.' }
      )
    }

    await EmailVerificationService.send(user)
    return this.successWithLog(ctx, {
      action: 'auth.verification_sent',
      subject: { type: 'user', id: user.id },
      data: { email: user.email, email_verified_at: null },
      message: `A verification link is on its way to ${user.email}.`,
      status: 202,
    })
  }

  /**
   * Confirms an email address with the mailed token.
   */
  async verify(ctx: HttpContext) {
    const { token } = await ctx.request.validateUsing(verifyEmailValidator)
    const user = await EmailVerificationService.verify(token)
    return this.successWithLog(ctx, {
      action: 'auth.email_verified',
      actorUserId: user.id,
      subject: { type: 'user', id: user.id },
      data: { email: user.email, email_verified_at: user.emailVerifiedAt!.toISO() },
      message: 'Email address verified.',
    })
  }
}
