import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import EmailVerificationService from '#services/email_verification_service'
import { verifyEmailValidator } from '#validators/email_verification'

/**
 * The mailed verification link, and the resend button of the profile page:
 * the same service, throttles and audit actions as the API.
 */
export default class EmailVerificationController extends BaseController {
  /**
   * The page a mailed link opens. It verifies nothing by itself: mail
   * scanners fetch links, so a person confirms with the button (a POST).
   */
  async show({ request, view }: HttpContext) {
    const token = request.qs().token
    return view.render('pages/auth/verify_email', {
      token: typeof token === 'string' ? token.slice(0, 128) : '',
    })
  }

  /** Confirms the address; on to the dashboard when signed in, else to sign in. */
  async verify(ctx: HttpContext) {
    const { token } = await ctx.request.validateUsing(verifyEmailValidator)
    const user = await EmailVerificationService.verify(token)
    const signedIn = await ctx.auth.use('web').check()
    return this.redirectWithLog(ctx, {
      action: 'auth.email_verified',
      actorUserId: user.id,
      subject: { type: 'user', id: user.id },
      message: 'Email address verified.',
      route: signedIn ? 'dashboard' : 'login',
    })
  }

  /** Mails the signed-in user a new link, unless the address is verified already. */
  async send(ctx: HttpContext) {
    const user = ctx.auth.getUserOrFail()
    if (user.emailVerifiedAt) {
      ctx.session.flash('success', 'Your email address is already verified.')
      return ctx.response.redirect().toRoute('profile.show')
    }
    await EmailVerificationService.send(user)
    return this.redirectWithLog(ctx, {
      action: 'auth.verification_sent',
      subject: { type: 'user', id: user.id },
      message: `A verification link is on its way to ${user.email}.`,
      route: 'profile.show',
    })
  }
}
