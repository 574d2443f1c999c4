import { BaseMail } from '@adonisjs/mail'
import env from '#start/env'

/**
 * The link to choose a new password. Carries plain data only: the message
 * is serialized onto the mail queue and its HTML rendered by the worker.
 */
export default class PasswordResetMail extends BaseMail {
  subject = 'Reset your password'

  constructor(
    readonly recipient: { email: string; name: string },
    readonly url: string,
    readonly expiresInMinutes: number
  ) {
    super()
  }

  prepare() {
    const appName = env.get('APP_NAME', 'Parley')
    this.message
      .to(this.recipient.email, this.recipient.name)
      .htmlView('emails/password_reset_html', {
        name: this.recipient.name,
        url: this.url,
        expiresInMinutes: this.expiresInMinutes,
        appName,
      })
      // Plain text is written here: the Edge formatter would reflow a text template.
      .text(
        [
          `Hello ${this.recipient.name},`,
          '',
          `Someone asked to reset the password of your ${appName} account. If it was you, choose a new password here:`,
          '',
          this.url,
          '',
          `The link works once and expires in ${this.expiresInMinutes} minutes. Resetting signs you out of every device and API client.`,
          '',
          'If you did not ask for this, ignore this email: your password stays as it is.',
        ].join('\n')
      )
  }
}
