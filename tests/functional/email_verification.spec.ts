import { readFile } from 'node:fs/promises'
import { DateTime } from 'luxon'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import mail from '@adonisjs/mail/services/main'
import app from '@adonisjs/core/services/app'
import limiter from '@adonisjs/limiter/services/main'
import testUtils from '@adonisjs/core/services/test_utils'
import type { ApiClient } from '@japa/api-client'
import User from '#models/user'
import UserToken from '#models/user_token'
import VerifyEmailMail from '#mails/verify_email_mail'
import PasswordResetMail from '#mails/password_reset_mail'
import PasswordResetService from '#services/password_reset_service'
import { auditQuery, findAuditOrFail } from '#tests/helpers/audit'
import { createOrganization, tokenFor } from '#tests/helpers/identity'

const STRONG = 'violet-harbor-lantern-42'

function mailedToken(mails: ReturnType<typeof mail.fake>['mails'], email: string) {
  const sent = mails.queued(
    (queued) => queued instanceof VerifyEmailMail && queued.recipient.email === email
  ) as VerifyEmailMail[]
  return new URL(sent.at(-1)!.url).searchParams.get('token')!
}

const verify = (client: ApiClient, token: string) =>
  client.post('/api/v1/auth/email/verify').json({ token })

const register = (client: ApiClient, email: string) =>
  client
    .post('/api/v1/auth/register')
    .json({ name: 'Grace Hopper', email, password: STRONG, organization_name: 'Compilers' })

test.group('Email verification', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())
  group.each.teardown(() => mail.restore())

  test('sign-up mails a link that verifies the address, once', async ({ client, assert }) => {
    const { mails } = mail.fake()

    const registered = await register(client, 'grace@example.com')
    registered.assertStatus(201)
    mails.assertQueuedCount(VerifyEmailMail, 1)
    const [queued] = mails.queued() as VerifyEmailMail[]
    assert.isTrue(queued.message.hasTo('grace@example.com', 'Grace Hopper'))
    assert.isTrue(queued.message.hasSubject('Confirm your email address'))
    queued.message.assertTextIncludes(queued.url)
    assert.match(queued.url, /\/verify-email\?token=[A-Za-z0-9_-]{43}$/)

    const token = mailedToken(mails, 'grace@example.com')
    const verified = await verify(client, token).header('x-request-id', 'email-verify-0001')
    verified.assertStatus(200)
    assert.equal(verified.body().data.email, 'grace@example.com')
    assert.isString(verified.body().data.email_verified_at)
    const user = await User.findByOrFail('email', 'grace@example.com')
    assert.isNotNull(user.emailVerifiedAt)

    const audit = await findAuditOrFail('request_id', 'email-verify-0001')
    assert.equal(audit.action, 'auth.email_verified')
    assert.equal(audit.actorUserId, user.id)
    assert.notInclude(JSON.stringify(await db.from('audit_logs')), token)

    const again = await verify(client, token)
    again.assertStatus(422)
    assert.equal(again.body().error_code, 'INVALID_VERIFICATION_TOKEN')
    const failures = await auditQuery().where('action', 'auth.email_verification_failed')
    assert.lengthOf(failures, 1)
  })

  test('a signed-in user asks for a new link; a verified one is told so', async ({
    client,
    assert,
  }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization()
    const apiToken = await tokenFor(owner, organization)

    const anonymous = await client.post('/api/v1/auth/email/verification')
    anonymous.assertStatus(401)

    const sent = await client.post('/api/v1/auth/email/verification').bearerToken(apiToken)
    sent.assertStatus(202)
    assert.include(sent.body().message, owner.email)
    mails.assertQueued(VerifyEmailMail, (queued) => queued.message.hasTo(owner.email))
    const audit = await findAuditOrFail('action', 'auth.verification_sent')
    assert.equal(audit.actorUserId, owner.id)
    assert.equal(audit.organizationId, organization.id)

    const first = mailedToken(mails, owner.email)
    await client.post('/api/v1/auth/email/verification').bearerToken(apiToken)
    const second = mailedToken(mails, owner.email)
    const stale = await verify(client, first)
    stale.assertStatus(422)
    const fresh = await verify(client, second)
    fresh.assertStatus(200)

    const already = await client.post('/api/v1/auth/email/verification').bearerToken(apiToken)
    already.assertStatus(200)
    assert.equal(already.body().message, 'Your email address is already verified.')
    mails.assertQueuedCount(VerifyEmailMail, 2)
  })

  test('expired links and password-reset links do not verify', async ({ client, assert }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization()
    await client
      .post('/api/v1/auth/email/verification')
      .bearerToken(await tokenFor(owner, organization))
    const issued = await UserToken.findByOrFail('user_id', owner.id)
    issued.expiresAt = DateTime.utc().minus({ seconds: 1 })
    await issued.save()

    const expired = await verify(client, mailedToken(mails, owner.email))
    expired.assertStatus(422)
    assert.equal(expired.body().error_code, 'INVALID_VERIFICATION_TOKEN')

    await PasswordResetService.sendLink(owner.email)
    const [resetMail] = mails.queued((queued) => queued instanceof PasswordResetMail)
    const resetToken = new URL((resetMail as PasswordResetMail).url).searchParams.get('token')!
    const wrongPurpose = await verify(client, resetToken)
    wrongPurpose.assertStatus(422)

    await owner.refresh()
    assert.isNull(owner.emailVerifiedAt)
  })

  test('the 4th link asked for in 15 minutes gets 429', async ({ client, assert }) => {
    mail.fake()
    const { organization, owner } = await createOrganization()
    const apiToken = await tokenFor(owner, organization)
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await client.post('/api/v1/auth/email/verification').bearerToken(apiToken)
      response.assertStatus(202)
    }

    const blocked = await client.post('/api/v1/auth/email/verification').bearerToken(apiToken)
    blocked.assertStatus(429)
    assert.isAbove(Number(blocked.header('retry-after')), 0)
  })

  test('sign-up still succeeds when the mail cannot be queued', async ({ client, assert }) => {
    const fake = mail.fake()
    fake.sendLater = async () => {
      throw new Error('mail queue unreachable')
    }

    const registered = await register(client, 'offline@example.com')
    registered.assertStatus(201)
    const user = await User.findByOrFail('email', 'offline@example.com')
    assert.isNull(user.emailVerifiedAt)

    const log = await readFile(app.tmpPath('logs/test.log'), 'utf8')
    assert.include(log, 'verification mail could not be queued')
  })
})
