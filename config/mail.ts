import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig, transports } from '@adonisjs/mail'
import { LocalMailTransport } from '#mails/transports/local_transport'

/**
 * Mail is never sent inline: MailService queues it on the `mail` queue and
 * the SendMail job hands it to the mailer chosen here. `local` keeps every
 * message readable under tmp/mail (development); `smtp` is for production.
 */
const mailConfig = defineConfig({
  default: env.get('MAIL_MAILER', 'local'),

  from: {
    address: env.get('MAIL_FROM_ADDRESS', 'no-reply@parley.localhost'),
    name: env.get('MAIL_FROM_NAME', env.get('APP_NAME', 'Parley')),
  },

  mailers: {
    smtp: transports.smtp({
      host: env.get('SMTP_HOST', '127.0.0.1'),
      port: env.get('SMTP_PORT', 587),
      // Port 465 speaks TLS from the start; other ports upgrade with STARTTLS when offered.
      secure: env.get('SMTP_PORT', 587) === 465,
      ...(env.get('SMTP_USERNAME')
        ? {
            auth: {
              type: 'login' as const,
              user: env.get('SMTP_USERNAME')!,
              pass: env.get('SMTP_PASSWORD', ''),
            },
          }
        : {}),
    }),

    local: () => new LocalMailTransport(app.tmpPath('mail')),
  },
})

export default mailConfig

declare module '@adonisjs/mail/types' {
  export interface MailersList extends InferMailers<typeof mailConfig> {}
}
