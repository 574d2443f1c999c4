import mail from '@adonisjs/mail/services/main'
import type { MailersList, MessageBodyTemplates, NodeMailerMessage } from '@adonisjs/mail/types'
import BaseJob from '#jobs/base_job'

export type SendMailPayload = {
  mailer: keyof MailersList
  message: NodeMailerMessage
  views: MessageBodyTemplates
}

/**
 * Sends one message queued by MailService: renders its views and hands it
 * to the mailer it was queued for. A retry after a transport error sends
 * it again; nothing else changes.
 */
export default class SendMail extends BaseJob<SendMailPayload> {
  static queue = 'mail' as const

  /**
   * Mailed links are secrets: drop the payload once the message is out
   * instead of keeping it with the completed jobs.
   */
  static options = { removeOnComplete: true }

  async handle({ mailer, message, views }: SendMailPayload) {
    const response = await mail.use(mailer).sendCompiled({ message, views })
    this.logger.info({ mailer, message_id: response.messageId }, 'mail sent')
  }
}
