import { createHash } from 'node:crypto'
import { DateTime } from 'luxon'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import mail from '@adonisjs/mail/services/main'
import limiter from '@adonisjs/limiter/services/main'
import queueManager from '@rlanz/bull-queue/services/main'
import testUtils from '@adonisjs/core/services/test_utils'
import type { ApiClient } from '@japa/api-client'
import env from '#start/env'
import UserToken from '#models/user_token'
import PasswordResetMail from '#mails/password_reset_mail'
import { USER_PASSWORD, UserFactory } from '#database/factories/user_factory'
import { WorkerPool } from '#support/job_runner'
import { auditQuery, findAuditOrFail } from '#tests/helpers/audit'
import { createOrganization, tokenFor } from '#tests/helpers/identity'
import { waitFor } from '#tests/helpers/wait_for'
import { emptyQueue } from '#tests/helpers/queues'

const NEW_PASSWORD = 'amber-orchard-compass-77'

/**
 * "Forgot password" only queues a job; wait until the worker has run it.
 */
async function forgot(client: ApiClient, email: string, ip = '127.0.0.1') {
  const response = await client
    .post('/api/v1/auth/password/forgot')
    .header('x-forwarded-for', ip)
    .json({ email })
  const queue = queueManager.getOrSet('mail')
  await waitFor(async () => {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')
    return Object.values(counts).every((count) => count === 0)
  })
  return response
}

function mailedToken(mails: ReturnType<typeof mail.fake>['mails'], email: string) {
  const sent = mails.queued(
    (queued) => queued instanceof PasswordResetMail && queued.recipient.email === email
  ) as PasswordResetMail[]
  return new URL(sent.at(-1)!.url).searchParams.get('token')!
}

const reset = (client: ApiClient, token: string, password = NEW_PASSWORD) =>
  client.post('/api/v1/auth/password/reset').json({ token, password })

test.group('Password reset', (group) => {
  group.setup(async () => {
    // Even a job a killed worker left active: it would hold the queue for a lock period.
    await emptyQueue('mail')
    const pool = new WorkerPool().start(['mail'])
    return () => pool.close()
  })
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())
  group.each.teardown(() => mail.restore())

  test('answers alike for known and unknown emails, and mails only the account', async ({
    client,
    assert,
  }) => {
    const { mails } = mail.fake()
    const { owner } = await createOrganization()

    const known = await forgot(client, owner.email.toUpperCase())
    const unknown = await forgot(client, 'nobody@example.com')

    known.assertStatus(202)
    unknown.assertStatus(202)
    const comparable = ({ timestamp, request_id: requestId, ...rest }: any) => {
      assert.isString(timestamp)
      assert.isString(requestId)
      return rest
    }
    assert.deepEqual(comparable(known.body()), comparable(unknown.body()))
    assert.deepEqual(Object.keys(known.headers()).sort(), Object.keys(unknown.headers()).sort())

    mails.assertQueuedCount(PasswordResetMail, 1)
    mails.assertQueued(PasswordResetMail, (queued) => queued.message.hasTo(owner.email))
    const token = mailedToken(mails, owner.email)
    assert.match(token, /^[A-Za-z0-9_-]{43}$/)

    const stored = await UserToken.query().where('user_id', owner.id)
    assert.lengthOf(stored, 1)
    assert.equal(stored[0].purpose, 'password_reset')
    assert.equal(stored[0].tokenHash, createHash('sha256').update(token).digest('hex'))
    assert.closeTo(stored[0].expiresAt.diffNow('minutes').minutes, 60, 1)

    const audits = await auditQuery().where('action', 'auth.password_reset_requested')
    assert.lengthOf(audits, 2)
  })

  test('the mail carries a working link; disabled accounts get none', async ({
    assert,
    client,
  }) => {
    const { mails } = mail.fake()
    const { owner } = await createOrganization()
    const disabled = await UserFactory.apply('disabled').create()

    await forgot(client, owner.email)
    await forgot(client, disabled.email)

    mails.assertQueuedCount(PasswordResetMail, 1)
    const [queued] = mails.queued() as PasswordResetMail[]
    const appUrl = env.get('APP_URL', `http://${env.get('HOST')}:${env.get('PORT')}`)
    const link = `${appUrl.replace(/\/$/, '')}/reset-password?token=${mailedToken(mails, owner.email)}`
    assert.equal(queued.url, link)
    assert.isTrue(queued.message.hasSubject('Reset your password'))
    queued.message.assertTextIncludes(link)
    queued.message.assertHtmlIncludes('Choose a new password')
  })

  test('a link resets the password once and signs every API client out', async ({
    client,
    assert,
  }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization()
    const apiTokens = [await tokenFor(owner, organization), await tokenFor(owner, organization)]
    await forgot(client, owner.email)
    const token = mailedToken(mails, owner.email)

    const first = await reset(client, token).header('x-request-id', 'password-reset-0001')
    first.assertStatus(200)
    assert.isNull(first.body().data)

    for (const apiToken of apiTokens) {
      const me = await client.get('/api/v1/auth/me').bearerToken(apiToken)
      me.assertStatus(401)
    }
    const oldPassword = await client
      .post('/api/v1/auth/login')
      .json({ email: owner.email, password: USER_PASSWORD })
    oldPassword.assertStatus(401)
    const newPassword = await client
      .post('/api/v1/auth/login')
      .json({ email: owner.email, password: NEW_PASSWORD })
    newPassword.assertStatus(200)

    const again = await reset(client, token, 'another-fresh-passphrase-9')
    again.assertStatus(422)
    assert.equal(again.body().error_code, 'INVALID_RESET_TOKEN')

    const audit = await findAuditOrFail('request_id', 'password-reset-0001')
    assert.equal(audit.action, 'auth.password_reset')
    assert.equal(audit.actorUserId, owner.id)
    assert.deepEqual(audit.changes, { api_clients_signed_out: 2 })
    const trail = JSON.stringify(await db.from('audit_logs'))
    assert.notInclude(trail, token)
    assert.notInclude(trail, NEW_PASSWORD)
    const failures = await auditQuery().where('action', 'auth.password_reset_failed')
    assert.lengthOf(failures, 1)
  })

  test('a newer link replaces older ones', async ({ client, assert }) => {
    const { mails } = mail.fake()
    const { owner } = await createOrganization()

    await forgot(client, owner.email)
    const older = mailedToken(mails, owner.email)
    await forgot(client, owner.email)
    const newer = mailedToken(mails, owner.email)
    assert.notEqual(older, newer)

    const withOlder = await reset(client, older)
    withOlder.assertStatus(422)
    assert.equal(withOlder.body().error_code, 'INVALID_RESET_TOKEN')
    const withNewer = await reset(client, newer)
    withNewer.assertStatus(200)
  })

  test('an expired link is refused', async ({ client, assert }) => {
    const { mails } = mail.fake()
    const { owner } = await createOrganization()
    await forgot(client, owner.email)
    const issued = await UserToken.findByOrFail('user_id', owner.id)
    issued.expiresAt = DateTime.utc().minus({ seconds: 1 })
    await issued.save()

    const response = await reset(client, mailedToken(mails, owner.email))
    response.assertStatus(422)
    assert.equal(response.body().error_code, 'INVALID_RESET_TOKEN')
    assert.include(response.body().message, 'request a new one')
  })

  test('a weak password is refused without using up the link', async ({ client, assert }) => {
    const { mails } = mail.fake()
    const { owner } = await createOrganization()
    await forgot(client, owner.email)
    const token = mailedToken(mails, owner.email)

    for (const weak of ['short', 'password1234']) {
      const response = await reset(client, token, weak)
      response.assertStatus(422)
      assert.equal(response.body().error_code, 'VALIDATION_ERROR')
      assert.equal(response.body().errors[0].field, 'password')
    }

    const strong = await reset(client, token)
    strong.assertStatus(200)
  })

  test('unknown, malformed and missing tokens are refused alike', async ({ client, assert }) => {
    for (const token of ['A'.repeat(43), 'not a token', 'x']) {
      const response = await reset(client, token)
      response.assertStatus(422)
      assert.equal(response.body().error_code, 'INVALID_RESET_TOKEN')
    }
    const missing = await client
      .post('/api/v1/auth/password/reset')
      .json({ password: NEW_PASSWORD })
    missing.assertStatus(422)
    assert.equal(missing.body().errors[0].field, 'token')
  })
})

test.group('Password reset: throttling', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())
  group.each.teardown(() => mail.restore())

  test('the 6th request in 15 minutes from one ip gets 429', async ({ client, assert }) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const response = await client
        .post('/api/v1/auth/password/forgot')
        .json({ email: `someone${attempt}@example.com` })
      response.assertStatus(202)
    }

    const blocked = await client
      .post('/api/v1/auth/password/forgot')
      .json({ email: 'someone-else@example.com' })
    blocked.assertStatus(429)
    assert.equal(blocked.body().error_code, 'TOO_MANY_REQUESTS')
    assert.isAbove(Number(blocked.header('retry-after')), 0)

    const otherIp = await client
      .post('/api/v1/auth/password/forgot')
      .header('x-forwarded-for', '203.0.113.7')
      .json({ email: 'someone-else@example.com' })
    otherIp.assertStatus(202)
  })

  test('the 4th request in an hour for one email gets 429, from any ip', async ({
    client,
    assert,
  }) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await client
        .post('/api/v1/auth/password/forgot')
        .header('x-forwarded-for', `198.51.100.${attempt}`)
        .json({ email: 'target@example.com' })
      response.assertStatus(202)
    }

    const blocked = await client
      .post('/api/v1/auth/password/forgot')
      .header('x-forwarded-for', '198.51.100.99')
      .json({ email: 'TARGET@example.com' })
    blocked.assertStatus(429)
    assert.isAbove(Number(blocked.header('retry-after')), 0)
  })
})
