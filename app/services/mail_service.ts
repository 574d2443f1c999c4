import mail from '@adonisjs/mail/services/main'
import type { BaseMail } from '@adonisjs/mail'
import env from '#start/env'

/**
 * The only way Parley sends mail: queued, never inline (start/mail.ts
 * points the package's `sendLater` at the `mail` queue, where the SendMail
 * job sends it).
 */
export default class MailService {
  static async queue(message: BaseMail) {
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
