import mail from '@adonisjs/mail/services/main'
import type { BaseMail } from '@adonisjs/mail'
import type { MailersList } from '@adonisjs/mail/types'
import env from '#start/env'
import SendMail from '#jobs/send_mail'
import QueueService from '#services/queue_service'

let queueInstalled = false

/**
 * The only way Parley sends mail. Messages are never sent inline: the
 * package's `sendLater` is pointed at Parley's own `mail` queue (instead of
 * its in-memory one, which loses mail on a restart) and the SendMail job
 * sends them. `mail.fake()` in tests replaces all of it.
 */
export default class MailService {
  static async queue(message: BaseMail) {
    if (!queueInstalled) {
      mail.setMessenger((mailer) => ({
        queue: ({ message: compiled, views }) =>
          QueueService.dispatch(
            SendMail,
            { mailer: mailer.name as keyof MailersList, message: compiled, views },
            { queueName: 'mail' }
          ),
      }))
      queueInstalled = true
    }
    await mail.sendLater(message)
  }

  /**
   * An absolute link into the app, for mail (`APP_URL` + path + query).
   */
  static link(path: string, query: Record<string, string> = {}) {
    const base = env.get('APP_URL', `http://${env.get('HOST')}:${env.get('PORT')}`)
    // Relative to APP_URL, so an app served under a path prefix keeps it.
    const url = new URL(path.replace(/^\/+/, ''), base.endsWith('/') ? base : `${base}/`)
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value)
    return url.toString()
  }
}
