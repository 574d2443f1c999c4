import { BaseMail } from '@adonisjs/mail'
import env from '#start/env'

/**
 * An invitation to join an organization. Plain data only: the message is
 * serialized onto the mail queue and rendered by the worker.
 */
export default class InvitationMail extends BaseMail {
  constructor(
    readonly email: string,
    readonly organizationName: string,
    readonly inviterName: string,
    readonly roleName: string,
    readonly url: string,
    readonly expiresInDays: number
  ) {
    super()
    this.subject = `${inviterName} invited you to ${organizationName}`
  }

  prepare() {
    const appName = env.get('APP_NAME', 'Parley')
    const data = {
      organizationName: this.organizationName,
      inviterName: this.inviterName,
      roleName: this.roleName,
      url: this.url,
      expiresInDays: this.expiresInDays,
      appName,
    }
    this.message
      .to(this.email)
      .htmlView('emails/invitation_html', data)
      // Plain text is written here: the Edge formatter would reflow a text template.
      .text(
        [
          `${this.inviterName} invited you to join ${this.organizationName} on ${appName} as ${this.roleName}.`,
          '',
          'Accept the invitation here:',
          '',
          this.url,
          '',
          `The link works once and expires in ${this.expiresInDays} days.`,
          '',
          'If you were not expecting this, ignore this email.',
        ].join('\n')
      )
  }
}
