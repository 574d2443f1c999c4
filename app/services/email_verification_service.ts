import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import env from '#start/env'
import User from '#models/user'
import VerifyEmailMail from '#mails/verify_email_mail'
import ApiException from '#exceptions/api_exception'
import MailService from '#services/mail_service'
import UserTokenService from '#services/user_token_service'

export class InvalidVerificationTokenError extends ApiException {
  constructor() {
    super(
      'This verification link is invalid, expired or already used: sign in and ask for a new one.',
      'INVALID_VERIFICATION_TOKEN',
      422
    )
    this.audit = { action: 'auth.email_verification_failed' }
  }
}

export default class EmailVerificationService {
  /**
   * Mails the user a link confirming their address; the new link
   * invalidates earlier ones.
   */
  static async send(user: User) {
    const hours = env.get('EMAIL_VERIFICATION_EXPIRY_HOURS', 24)
    const secret = await UserTokenService.issue(user.id, 'email_verification', hours * 60)
    await MailService.queue(
      new VerifyEmailMail(
        { email: user.email, name: user.name },
        MailService.link('/verify-email', { token: secret }),
        hours
      )
    )
  }

  /**
   * `send` for a new account: never throws, because a sign-up must not fail
   * when mail cannot be queued; the user can ask for the link again.
   */
  static async sendAfterSignUp(user: User) {
    try {
      await this.send(user)
    } catch (error) {
      logger.error({ err: error, user_id: user.id }, 'verification mail could not be queued')
    }
  }

  /**
   * Confirms the address the secret was mailed to (once).
   */
  static async verify(secret: string) {
    return db.transaction(async (trx) => {
      const userId = await UserTokenService.consume(secret, 'email_verification', trx)
      const user = userId ? await User.find(userId, { client: trx }) : null
      if (!user) throw new InvalidVerificationTokenError()

      if (!user.emailVerifiedAt) {
        user.emailVerifiedAt = DateTime.utc()
        await user.useTransaction(trx).save()
      }
      return user
    })
  }
}
