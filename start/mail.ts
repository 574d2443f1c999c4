/*
|--------------------------------------------------------------------------
| Mail goes through Parley's queue
|--------------------------------------------------------------------------
|
| `mail.sendLater` (and so MailService.queue) dispatches a SendMail job on
| the `mail` queue instead of the package's in-memory queue, which would
| lose mail on a restart. `mail.fake()` in tests replaces all of it.
*/
import mail from '@adonisjs/mail/services/main'
import type { MailersList } from '@adonisjs/mail/types'
import SendMail from '#jobs/send_mail'
import QueueService from '#services/queue_service'

mail.setMessenger((mailer) => ({
  queue: ({ message, views }) =>
    QueueService.dispatch(
      SendMail,
      { mailer: mailer.name as keyof MailersList, message, views },
      { queueName: 'mail' }
    ),
}))
