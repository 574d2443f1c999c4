import { randomUUID } from 'node:crypto'
import { readFile, readdir, rm } from 'node:fs/promises'
import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import mail from '@adonisjs/mail/services/main'
import queueManager from '@rlanz/bull-queue/services/main'
import SendMail from '#jobs/send_mail'
import PasswordResetMail from '#mails/password_reset_mail'
import VerifyEmailMail from '#mails/verify_email_mail'
import MailService from '#services/mail_service'
import QueueService from '#services/queue_service'
import { WorkerPool } from '#support/job_runner'
import { spawnParley } from '#tests/helpers/processes'
import { startSmtpServer } from '#tests/helpers/smtp_server'
import { waitFor } from '#tests/helpers/wait_for'
import { emptyQueue } from '#tests/helpers/queues'

/**
 * Quoted-printable bodies wrap long lines (`=` + CRLF) and escape `=`.
 */
const unwrap = (raw: string) => raw.replace(/=\r\n/g, '').replace(/=3D/g, '=')

test.group('Mail: the mail queue', () => {
  test('MailService queues a SendMail job that the worker sends with the local transport', async ({
    assert,
    cleanup,
  }) => {
    // The suite must never deliver real mail (.env.test: MAIL_MAILER=local).
    assert.equal(mail.config.default, 'local')
    const email = `lin-${randomUUID()}@example.com`
    const url = `http://localhost:3333/verify-email?token=${randomUUID()}`
    const queue = queueManager.getOrSet('mail')
    // Mail left by other suites (sign-ups) would otherwise land in tmp/mail too.
    await queue.drain(true)

    await MailService.queue(new VerifyEmailMail({ email, name: 'Lin Yutang' }, url, 24))

    const jobs = await queue.getJobs(['waiting', 'prioritized', 'delayed'])
    const job = jobs.find((candidate) =>
      JSON.stringify(candidate.data.payload?.message?.to ?? []).includes(email)
    )
    assert.exists(job, 'no SendMail job for the message on the mail queue')
    assert.equal(job!.name, 'SendMail')
    assert.equal(job!.data.payload.mailer, 'local')
    assert.equal(job!.data.payload.views.html.template, 'emails/verify_email_html')
    assert.isTrue(job!.opts.removeOnComplete)
    assert.equal(job!.opts.attempts, 3)

    const pool = new WorkerPool().start(['mail'])
    cleanup(() => pool.close())

    const directory = app.tmpPath('mail')
    const summaryFile = await waitFor(async () => {
      const names = await readdir(directory).catch(() => [] as string[])
      for (const name of names.filter((file) => file.endsWith('.json'))) {
        if ((await readFile(`${directory}/${name}`, 'utf8')).includes(email)) return name
      }
      return null
    })
    const emlFile = summaryFile.replace(/\.json$/, '.eml')
    cleanup(() => rm(`${directory}/${summaryFile}`, { force: true }))
    cleanup(() => rm(`${directory}/${emlFile}`, { force: true }))

    const summary = JSON.parse(await readFile(`${directory}/${summaryFile}`, 'utf8'))
    assert.equal(summary.subject, 'Confirm your email address')
    assert.deepEqual(summary.to, [{ address: email, name: 'Lin Yutang' }])
    assert.deepEqual(summary.from, mail.config.from)
    assert.include(summary.text, url)
    assert.include(summary.html, 'Confirm my email address')

    const eml = await readFile(`${directory}/${emlFile}`, 'utf8')
    assert.include(eml, `To: Lin Yutang <${email}>`)
    assert.include(eml, 'Subject: Confirm your email address')
  }).timeout(30_000)

  test('a worker process delivers over SMTP with the smtp mailer', async ({ assert, cleanup }) => {
    const smtp = await startSmtpServer()
    cleanup(() => smtp.close())
    // The worker process takes only this test's job, and stops gracefully so it leaves none active.
    await emptyQueue('mail')
    const worker = spawnParley(['ace', 'queue:listen', '--queue=mail'], {
      SMTP_HOST: '127.0.0.1',
      SMTP_PORT: String(smtp.port),
      MAIL_FROM_ADDRESS: 'support@parley.test',
      MAIL_FROM_NAME: 'Parley Support',
    })
    cleanup(async () => {
      await worker.terminate()
    })
    await waitFor(() => worker.output().includes('Listening on queue(s): mail'), 30_000, 100)

    const email = `ada-${randomUUID()}@example.com`
    const url = `http://localhost:3333/reset-password?token=${randomUUID()}`
    const message = new PasswordResetMail({ email, name: 'Ada Lovelace' }, url, 60)
    await message.build()
    const { message: compiled, views } = message.message.toObject()
    await QueueService.dispatch(SendMail, { mailer: 'smtp', message: compiled, views })

    const received = await waitFor(
      () => smtp.mails.find((candidate) => candidate.to.includes(email)),
      20_000
    )
    assert.equal(received.from, 'support@parley.test')
    const data = unwrap(received.data)
    assert.include(data, 'From: Parley Support <support@parley.test>')
    assert.include(data, 'Subject: Reset your password')
    assert.include(data, url)
    assert.include(data, 'Content-Type: text/html')
  }).timeout(60_000)
})
