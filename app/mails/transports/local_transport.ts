import { randomUUID } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DateTime } from 'luxon'
import nodemailer from 'nodemailer'
import { MailResponse } from '@adonisjs/mail'
import type { MailTransportContract, NodeMailerMessage } from '@adonisjs/mail/types'

/**
 * Development transport: instead of delivering a message, writes it to
 * `directory` twice, as the raw `.eml` a mail client opens and as a `.json`
 * summary (from, to, subject, text, html) that is easy to read or grep.
 */
export class LocalMailTransport implements MailTransportContract {
  #composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })

  constructor(readonly directory: string) {}

  async send(message: NodeMailerMessage) {
    const info = await this.#composer.sendMail(message)
    const name = `${DateTime.utc().toFormat("yyyyLLdd'T'HHmmss.SSS")}-${randomUUID().slice(0, 8)}`

    await mkdir(this.directory, { recursive: true })
    await writeFile(join(this.directory, `${name}.eml`), info.message as Buffer)
    await writeFile(
      join(this.directory, `${name}.json`),
      JSON.stringify(
        {
          message_id: info.messageId,
          from: message.from ?? null,
          to: message.to ?? [],
          subject: message.subject ?? null,
          text: message.text ?? null,
          html: message.html ?? null,
        },
        null,
        2
      )
    )

    return new MailResponse(info.messageId, info.envelope, { ...info, file: `${name}.eml` })
  }
}
