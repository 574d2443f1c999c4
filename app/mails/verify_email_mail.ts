import { BaseMail } from '@adonisjs/mail'
import env from '#start/env'

/**
 * The link that confirms a user owns their email address. Carries plain
 * data only: the message is serialized onto the mail queue and its HTML
 * rendered by the worker.
 */
export default class VerifyEmailMail extends BaseMail {
  subject = 'Confirm your email address'

  constructor(
    readonly recipient: { email: string; name: string },
    readonly url: string,
    readonly expiresInHours: number
  ) {
    super()
  }

  prepare() {
    const appName = env.get('APP_NAME', 'Parley')
    this.message
      .to(this.recipient.email, this.recipient.name)
      .htmlView('emails/verify_email_html', {
        name: this.recipient.name,
        email: this.recipient.email,
        url: this.url,
        expiresInHours: this.expiresInHours,
        appName,
      })
      // Plain text is written here: the Edge formatter would reflow a text template.
      .text(
        [
          `Hello ${this.recipient.name},`,
          '',
          `Please confirm that ${this.recipient.email} is your email address for ${appName}:`,
          '',
          this.url,
          '',
          `The link works once and expires in ${this.expiresInHours} hours.`,
          '',
          'If you did not create an account, ignore this email.',
        ].join('\n')
      )
  }
}
