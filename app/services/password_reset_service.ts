import db from '@adonisjs/lucid/services/db'
import env from '#start/env'
import User from '#models/user'
import AccessToken from '#models/access_token'
import PasswordResetMail from '#mails/password_reset_mail'
import SendPasswordResetLink from '#jobs/send_password_reset_link'
import ApiException from '#exceptions/api_exception'
import MailService from '#services/mail_service'
import QueueService from '#services/queue_service'
import SessionTrackingService from '#services/session_tracking_service'
import UserService from '#services/user_service'
import UserTokenService from '#services/user_token_service'
import { passwordProblem } from '#support/password_policy'
import { TenantContext } from '#support/tenant_context'
import { AuthCache } from '#support/auth_cache'

export class InvalidResetTokenError extends ApiException {
  constructor() {
    super(
      'This password reset link is invalid, expired or already used: request a new one.',
      'INVALID_RESET_TOKEN',
      422
    )
    this.audit = { action: 'auth.password_reset_failed' }
  }
}

export default class PasswordResetService {
  /**
   * Asks for a reset link to be mailed. The request does the same work
   * whether or not the email belongs to an account (it only queues a job
   * that looks it up), so neither the answer nor its timing tells.
   */
  static async request(email: string) {
    await QueueService.dispatch(SendPasswordResetLink, { email }, { queueName: 'mail' })
  }

  /**
   * Mails a reset link to the active account using this email, if any; the
   * new link invalidates earlier ones. Returns whether a link was sent.
   */
  static async sendLink(email: string) {
    const user = await UserService.findByEmail(email)
    if (!user || user.status !== 'active') return false

    const minutes = env.get('PASSWORD_RESET_EXPIRY_MINUTES', 60)
    const secret = await UserTokenService.issue(user.id, 'password_reset', minutes)
    await MailService.queue(
      new PasswordResetMail(
        { email: user.email, name: user.name },
        MailService.link('/reset-password', { token: secret }),
        minutes
      )
    )
    return true
  }

  /**
   * Sets a new password with a mailed secret (once), then revokes every API
   * token and ends every console session (and remember-me cookie) of the
   * user: whoever knew the old password is signed out.
   */
  static async reset(secret: string, password: string) {
    const problem = passwordProblem(password)
    if (problem) throw new ApiException(`Password refused: ${problem}.`, 'WEAK_PASSWORD', 422)

    return db.transaction(async (trx) => {
      const userId = await UserTokenService.consume(secret, 'password_reset', trx)
      const user = userId ? await User.find(userId, { client: trx }) : null
      if (!user || user.status !== 'active') throw new InvalidResetTokenError()

      user.password = password
      await user.useTransaction(trx).save()
      const revoked = await TenantContext.asPlatform(() =>
        AccessToken.query({ client: trx }).where('user_id', user.id).delete()
      )
      await AuthCache.invalidate(trx)
      const endedSessions = await SessionTrackingService.endOthers(user.id, null, trx)
      return { user, revokedTokens: Number(revoked), endedSessions }
    })
  }
}
