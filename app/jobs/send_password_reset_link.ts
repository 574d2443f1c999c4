import BaseJob from '#jobs/base_job'
import PasswordResetService from '#services/password_reset_service'

type Payload = { email: string }

/**
 * Looks up the account behind a "forgot password" request and mails it a
 * reset link. Done here rather than in the request so that the request
 * answers alike, in content and in time, for unknown emails. A redelivery
 * mails a fresh link that replaces the first one.
 */
export default class SendPasswordResetLink extends BaseJob<Payload> {
  static queue = 'mail' as const

  async handle({ email }: Payload) {
    const sent = await PasswordResetService.sendLink(email)
    this.logger.info({ sent }, 'password reset request handled')
  }
}
