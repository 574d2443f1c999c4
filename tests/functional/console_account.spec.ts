import { DateTime } from 'luxon'
import { test } from '@japa/runner'
import hash from '@adonisjs/core/services/hash'
import db from '@adonisjs/lucid/services/db'
import mail from '@adonisjs/mail/services/main'
import limiter from '@adonisjs/limiter/services/main'
import queueManager from '@rlanz/bull-queue/services/main'
import testUtils from '@adonisjs/core/services/test_utils'
import type { ApiClient, ApiRequest, ApiResponse } from '@japa/api-client'
import User from '#models/user'
import UserSession from '#models/user_session'
import UserToken from '#models/user_token'
import AccessToken from '#models/access_token'
import PasswordResetMail from '#mails/password_reset_mail'
import VerifyEmailMail from '#mails/verify_email_mail'
import SessionTrackingService from '#services/session_tracking_service'
import UserTokenService from '#services/user_token_service'
import { TenantContext } from '#support/tenant_context'
import { WorkerPool } from '#support/job_runner'
import { USER_PASSWORD } from '#database/factories/user_factory'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'
import { auditQuery, findAuditOrFail } from '#tests/helpers/audit'
import { waitFor } from '#tests/helpers/wait_for'
import { emptyQueue } from '#tests/helpers/queues'

const NEW_PASSWORD = 'amber-orchard-compass-77'
const SESSION_COOKIE = 'parley-session'
const REMEMBER_COOKIE = 'remember_web'

type Browser = { session: { id: string; values: Record<string, any> }; remember?: string }

/** Signs in through the console login page; returns what the browser keeps (session, remember cookie). */
async function signIn(
  client: ApiClient,
  email: string,
  options: { remember?: boolean } = {}
): Promise<Browser & { response: ApiResponse }> {
  const response = await client
    .post('/login')
    .withCsrfToken()
    .redirects(0)
    .header('user-agent', 'Test Browser/1.0')
    .form({ email, password: USER_PASSWORD, ...(options.remember ? { remember: '1' } : {}) })
  response.assertStatus(302)
  return {
    response,
    session: { id: response.cookie(SESSION_COOKIE)!.value, values: response.session() },
    remember: response.cookie(REMEMBER_COOKIE)?.value || undefined,
  }
}

/**
 * Sends `request` in a browser's session. The api client's session plugin
 * forgets a session after each response, so the values are written back
 * under the same id (the id is what session tracking knows).
 */
function inSession(request: ApiRequest, browser: Browser) {
  request.sessionClient.sessionId = browser.session.id
  return request.withSession(browser.session.values)
}

/** A signed-in page that is not the login page: 200 (or a redirect inside the console) when signed in. */
const chooser = (client: ApiClient) => client.get('/organizations/choose').redirects(0)

/** Waits until the mail queue's worker has run every job. */
async function drainMailQueue() {
  const queue = queueManager.getOrSet('mail')
  await waitFor(async () => {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized')
    return Object.values(counts).every((count) => count === 0)
  })
}

function mailedToken(
  mails: ReturnType<typeof mail.fake>['mails'],
  type: typeof PasswordResetMail | typeof VerifyEmailMail,
  email: string
) {
  const sent = mails.queued(
    (queued) => queued instanceof type && queued.recipient.email === email
  ) as (PasswordResetMail | VerifyEmailMail)[]
  return new URL(sent.at(-1)!.url).searchParams.get('token')!
}

async function auditJson() {
  return JSON.stringify(await db.from('audit_logs'))
}

test.group('Console account: remember me and sessions', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())

  test('the login page offers remember me and a forgotten-password link', async ({
    client,
    assert,
  }) => {
    const response = await client.get('/login')
    response.assertStatus(200)
    assert.match(response.text(), /type="checkbox"[\s\S]*?name="remember"/)
    assert.include(response.text(), 'href="/forgot-password"')
  })

  test('with remember me, the remember cookie alone signs the browser in again', async ({
    client,
    assert,
  }) => {
    const { owner } = await createOrganization()
    const { remember } = await signIn(client, owner.email, { remember: true })
    assert.isString(remember)
    const [first] = await UserSession.query().where('user_id', owner.id)
    assert.isNotNull(first.rememberMeTokenId)
    const audit = await findAuditOrFail('action', 'auth.login')
    assert.equal(audit.changes?.remember, true)

    // No session cookie: the guard signs in with the remember cookie and a fresh row is recorded.
    const again = await chooser(client).withEncryptedCookie(REMEMBER_COOKIE, remember!)
    assert.notEqual(again.header('location'), '/login')
    assert.oneOf(again.status(), [200, 302])
    const rows = await UserSession.query().where('user_id', owner.id).orderBy('id')
    assert.lengthOf(rows, 2)
    assert.isNotNull(rows[0].revokedAt, 'the session of the replaced token is over')
    assert.isNull(rows[1].revokedAt)
    assert.notEqual(rows[1].rememberMeTokenId, rows[0].rememberMeTokenId)

    // The used cookie was replaced: it cannot sign in a second time.
    const replayed = await chooser(client).withEncryptedCookie(REMEMBER_COOKIE, remember!)
    replayed.assertStatus(302)
    replayed.assertHeader('location', '/login')
  })

  test('without remember me, no remember token is issued and nothing signs in again', async ({
    client,
    assert,
  }) => {
    const { owner } = await createOrganization()
    const { remember } = await signIn(client, owner.email)
    assert.isNotOk(remember)
    const tokens = await db.from('remember_me_tokens').where('tokenable_id', owner.id)
    assert.lengthOf(tokens, 0)

    const response = await chooser(client)
    response.assertStatus(302)
    response.assertHeader('location', '/login')
  })

  test('sign-in records a session (hashed id, ip, browser); logout ends it', async ({
    client,
    assert,
  }) => {
    const { owner } = await createOrganization()
    const browser = await signIn(client, owner.email)
    const row = await UserSession.findByOrFail('user_id', owner.id)
    assert.equal(row.userAgent, 'Test Browser/1.0')
    assert.isString(row.ip)
    assert.lengthOf(row.sessionHash, 64)
    assert.notInclude(JSON.stringify(await db.from('user_sessions')), browser.session.id)

    const signedIn = await inSession(chooser(client), browser)
    assert.notEqual(signedIn.header('location'), '/login')

    const logout = await inSession(client.post('/logout'), browser).withCsrfToken().redirects(0)
    logout.assertStatus(302)
    logout.assertHeader('location', '/login')
    await row.refresh()
    assert.isNotNull(row.revokedAt)
  })

  test('the JSON session login records a session too', async ({ client, assert }) => {
    const { owner } = await createOrganization()
    const response = await client
      .post('/auth/login')
      .withCsrfToken()
      .json({ email: owner.email, password: USER_PASSWORD })
    response.assertStatus(200)
    const rows = await UserSession.query().where('user_id', owner.id)
    assert.lengthOf(rows, 1)
  })

  test("a revoked session's next request goes to /login", async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const other = await signIn(client, owner.email)
    const otherRow = await UserSession.findByOrFail('user_id', owner.id)
    const before = await inSession(chooser(client), other)
    assert.notEqual(before.header('location'), '/login')

    const revoke = await client
      .delete(`/profile/sessions/${otherRow.id}`)
      .withCsrfToken()
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    revoke.assertStatus(302)
    revoke.assertHeader('location', '/profile')
    revoke.assertFlashMessage('success', 'Session ended: that browser is signed out.')
    await otherRow.refresh()
    assert.isNotNull(otherRow.revokedAt)
    const audit = await findAuditOrFail('action', 'auth.session_revoked')
    assert.equal(audit.subjectId, String(otherRow.id))

    const after = await inSession(client.get('/').redirects(0), other)
    after.assertStatus(302)
    after.assertHeader('location', '/login')
    after.assertFlashMessage('error', 'This session has ended: sign in again.')
  })

  test('revoking a remembered session deletes its remember token', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const remembered = await signIn(client, owner.email, { remember: true })
    const row = await UserSession.findByOrFail('user_id', owner.id)

    const revoke = await client
      .delete(`/profile/sessions/${row.id}`)
      .withCsrfToken()
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    revoke.assertStatus(302)

    const tokens = await db.from('remember_me_tokens').where('tokenable_id', owner.id)
    assert.lengthOf(tokens, 0)
    const response = await chooser(client).withEncryptedCookie(
      REMEMBER_COOKIE,
      remembered.remember!
    )
    response.assertHeader('location', '/login')
  })

  test('the profile lists my sessions, marks the current one, and ends all others', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const first = await signIn(client, owner.email)
    const second = await signIn(client, owner.email, { remember: true })
    const stranger = await addMember(organization, 'agent')
    await signIn(client, stranger.email)

    const page = await client
      .get('/profile')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    page.assertStatus(200)
    const html = page.text()
    assert.include(html, 'This session')
    assert.equal(html.match(/Test Browser\/1\.0/g)?.length, 4, 'two sessions, with titles')
    assert.include(html, 'Sign out all other sessions')

    const response = await client
      .delete('/profile/sessions')
      .withCsrfToken()
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    response.assertStatus(302)
    response.assertFlashMessage('success', '3 other sessions signed out.')
    const live = await UserSession.query().where('user_id', owner.id).whereNull('revoked_at')
    assert.lengthOf(live, 1, 'only the session that asked')
    assert.lengthOf(await db.from('remember_me_tokens').where('tokenable_id', owner.id), 0)
    const strangerLive = await UserSession.query()
      .where('user_id', stranger.id)
      .whereNull('revoked_at')
    assert.lengthOf(strangerLive, 1)
    const audit = await findAuditOrFail('action', 'auth.sessions_revoked')
    assert.deepEqual(audit.changes, { sessions_ended: 3 })

    for (const browser of [first, second]) {
      const after = await inSession(chooser(client), browser)
      after.assertHeader('location', '/login')
    }
  })

  test("another user's session answers 404; the current one cannot be revoked here", async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const stranger = await addMember(organization, 'agent')
    await signIn(client, stranger.email)
    const strangerRow = await UserSession.findByOrFail('user_id', stranger.id)

    const response = await client
      .delete(`/profile/sessions/${strangerRow.id}`)
      .withCsrfToken()
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    response.assertStatus(404)
    await strangerRow.refresh()
    assert.isNull(strangerRow.revokedAt)

    // The session a request belongs to is refused: signing out is the way to end it.
    const mine = await signIn(client, owner.email)
    const mineRow = await UserSession.query()
      .where('user_id', owner.id)
      .orderBy('id', 'desc')
      .firstOrFail()
    await assert.rejects(
      () => SessionTrackingService.revoke(owner, mineRow.id, mine.session.id),
      'This is the session you are using: sign out instead.'
    )
    await mineRow.refresh()
    assert.isNull(mineRow.revokedAt)
  })

  test('a session request without a CSRF token is refused', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    await signIn(client, owner.email)
    const row = await UserSession.findByOrFail('user_id', owner.id)
    const response = await client
      .delete('/profile/sessions')
      .accept('json')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    response.assertStatus(403)
    await row.refresh()
    assert.isNull(row.revokedAt)
  })
})

test.group('Console account: forgotten password', (group) => {
  group.setup(async () => {
    // Even a job a killed worker left active: it would hold the queue for a lock period.
    await emptyQueue('mail')
    const pool = new WorkerPool().start(['mail'])
    return () => pool.close()
  })
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())
  group.each.teardown(() => mail.restore())

  test('the forgot-password page renders a form for guests; signed-in users go home', async ({
    client,
    assert,
  }) => {
    const page = await client.get('/forgot-password')
    page.assertStatus(200)
    assert.match(page.text(), /name=['"]_csrf['"]/)
    assert.include(page.text(), 'name="email"')

    const { organization, owner } = await createOrganization()
    const signedIn = await client
      .get('/forgot-password')
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    signedIn.assertStatus(302)
    signedIn.assertHeader('location', '/')
  })

  test('asking for a link mails the account, answers alike for unknown emails, audited', async ({
    client,
    assert,
  }) => {
    const { mails } = mail.fake()
    const { owner } = await createOrganization()

    const known = await client
      .post('/forgot-password')
      .withCsrfToken()
      .redirects(0)
      .form({ email: owner.email })
    const unknown = await client
      .post('/forgot-password')
      .withCsrfToken()
      .redirects(0)
      .form({ email: 'nobody@example.com' })
    await drainMailQueue()

    for (const response of [known, unknown]) {
      response.assertStatus(302)
      response.assertHeader('location', '/forgot-password')
      response.assertFlashMessage(
        'success',
        'If an account uses this email, a link to reset its password is on its way. Check your inbox.'
      )
    }
    mails.assertQueuedCount(PasswordResetMail, 1)
    mails.assertQueued(PasswordResetMail, (queued) => queued.message.hasTo(owner.email))
    const audits = await auditQuery().where('action', 'auth.password_reset_requested')
    assert.lengthOf(audits, 2)
  })

  test('a bad email shows an inline error and sends nothing', async ({ client, assert }) => {
    const { mails } = mail.fake()
    const response = await client
      .post('/forgot-password')
      .withCsrfToken()
      .redirects(0)
      .form({ email: 'not-an-email' })
    response.assertStatus(302)
    response.assertHasValidationError('email')
    await drainMailQueue()
    mails.assertNoneQueued()
    assert.lengthOf(await auditQuery().where('action', 'auth.password_reset_requested'), 0)
  })

  test('asking too often for one email is throttled', async ({ client, assert }) => {
    mail.fake()
    const ask = () =>
      client
        .post('/forgot-password')
        .withCsrfToken()
        .redirects(0)
        .form({ email: 'someone@example.com' })
    for (let attempt = 0; attempt < 3; attempt++) {
      const allowed = await ask()
      allowed.assertFlashMessage(
        'success',
        'If an account uses this email, a link to reset its password is on its way. Check your inbox.'
      )
    }
    const refused = await ask()
    refused.assertStatus(302)
    assert.match(String(refused.flashMessages().error), /^Too many requests/)
    await drainMailQueue()
  })

  test('a forgot-password post without a CSRF token is refused', async ({ client }) => {
    const response = await client
      .post('/forgot-password')
      .accept('json')
      .form({ email: 'someone@example.com' })
    response.assertStatus(403)
  })

  test('the reset page sets the password, ends every session and sends to /login', async ({
    client,
    assert,
  }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization()
    const apiToken = await tokenFor(owner, organization)
    const old = await signIn(client, owner.email, { remember: true })

    await client.post('/forgot-password').withCsrfToken().form({ email: owner.email })
    await drainMailQueue()
    const token = mailedToken(mails, PasswordResetMail, owner.email)

    const page = await client.get(`/reset-password?token=${token}`)
    page.assertStatus(200)
    assert.include(page.text(), `name="token" value="${token}"`)
    assert.include(page.text(), 'name="password_confirmation"')

    const response = await client
      .post('/reset-password')
      .withCsrfToken()
      .redirects(0)
      .form({ token, password: NEW_PASSWORD, password_confirmation: NEW_PASSWORD })
    response.assertStatus(302)
    response.assertHeader('location', '/login')
    response.assertFlashMessage('success', 'Password changed. Sign in with the new password.')

    await owner.refresh()
    assert.isTrue(await hash.verify(owner.password, NEW_PASSWORD))
    const after = await inSession(chooser(client), old)
    after.assertHeader('location', '/login')
    const remembered = await chooser(client).withEncryptedCookie(REMEMBER_COOKIE, old.remember!)
    remembered.assertHeader('location', '/login')
    const me = await client.get('/api/v1/auth/me').bearerToken(apiToken)
    me.assertStatus(401)

    const audit = await findAuditOrFail('action', 'auth.password_reset')
    assert.equal(audit.actorUserId, owner.id)
    assert.deepEqual(audit.changes, { api_clients_signed_out: 1, sessions_ended: 1 })
    const trail = await auditJson()
    assert.notInclude(trail, token)
    assert.notInclude(trail, NEW_PASSWORD)
  })

  test('a mismatched confirmation shows an inline error and keeps the password', async ({
    client,
    assert,
  }) => {
    const { owner } = await createOrganization()
    const token = await UserTokenService.issue(owner.id, 'password_reset', 60)
    const response = await client
      .post('/reset-password')
      .withCsrfToken()
      .redirects(0)
      .form({ token, password: NEW_PASSWORD, password_confirmation: 'something-else-entirely-1' })
    response.assertStatus(302)
    response.assertHasValidationError('password_confirmation')
    const missing = await client
      .post('/reset-password')
      .withCsrfToken()
      .redirects(0)
      .form({ token, password: NEW_PASSWORD })
    missing.assertHasValidationError('password_confirmation')
    await owner.refresh()
    assert.isTrue(await hash.verify(owner.password, USER_PASSWORD))
  })

  test('a bad or expired link is refused with a flash message', async ({ client, assert }) => {
    const { owner } = await createOrganization()
    const token = await UserTokenService.issue(owner.id, 'password_reset', 60)
    const issued = await UserToken.findByOrFail('user_id', owner.id)
    issued.expiresAt = DateTime.utc().minus({ seconds: 1 })
    await issued.save()

    for (const attempt of [token, 'not-a-real-token']) {
      const response = await client
        .post('/reset-password')
        .withCsrfToken()
        .redirects(0)
        .form({ token: attempt, password: NEW_PASSWORD, password_confirmation: NEW_PASSWORD })
      response.assertStatus(302)
      response.assertFlashMessage(
        'error',
        'This password reset link is invalid, expired or already used: request a new one.'
      )
    }
    await owner.refresh()
    assert.isTrue(await hash.verify(owner.password, USER_PASSWORD))
    assert.lengthOf(await auditQuery().where('action', 'auth.password_reset_failed'), 2)
  })

  test('a reset page without a token offers a new link', async ({ client, assert }) => {
    const response = await client.get('/reset-password')
    response.assertStatus(200)
    assert.include(response.text(), 'Ask for a new link')
    assert.notInclude(response.text(), 'name="password"')
  })
})

test.group('Console account: email verification', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())
  group.each.teardown(() => mail.restore())

  test('the link opens a page that does not verify; its button does', async ({
    client,
    assert,
  }) => {
    const { owner } = await createOrganization()
    owner.emailVerifiedAt = null
    await owner.save()
    const token = await UserTokenService.issue(owner.id, 'email_verification', 60)

    const page = await client.get(`/verify-email?token=${token}`)
    page.assertStatus(200)
    assert.include(page.text(), `name="token" value="${token}"`)
    await owner.refresh()
    assert.isNull(owner.emailVerifiedAt, 'opening the link verifies nothing')

    const response = await client.post('/verify-email').withCsrfToken().redirects(0).form({ token })
    response.assertStatus(302)
    response.assertHeader('location', '/login')
    response.assertFlashMessage('success', 'Email address verified.')
    await owner.refresh()
    assert.isNotNull(owner.emailVerifiedAt)
    const audit = await findAuditOrFail('action', 'auth.email_verified')
    assert.equal(audit.actorUserId, owner.id)
    assert.notInclude(await auditJson(), token)
  })

  test('a signed-in user goes to the dashboard after verifying', async ({ client }) => {
    const { organization, owner } = await createOrganization()
    const token = await UserTokenService.issue(owner.id, 'email_verification', 60)
    const response = await client
      .post('/verify-email')
      .withCsrfToken()
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .form({ token })
    response.assertStatus(302)
    response.assertHeader('location', '/')
  })

  test('a used or unknown token is refused with a flash message', async ({ client, assert }) => {
    const { owner } = await createOrganization()
    owner.emailVerifiedAt = null
    await owner.save()
    const response = await client
      .post('/verify-email')
      .withCsrfToken()
      .redirects(0)
      .form({ token: 'not-a-real-token' })
    response.assertStatus(302)
    response.assertFlashMessage(
      'error',
      'This verification link is invalid, expired or already used: sign in and ask for a new one.'
    )
    await owner.refresh()
    assert.isNull(owner.emailVerifiedAt)
    await findAuditOrFail('action', 'auth.email_verification_failed')
  })

  test('a verification post without a CSRF token is refused', async ({ client, assert }) => {
    const { owner } = await createOrganization()
    owner.emailVerifiedAt = null
    await owner.save()
    const token = await UserTokenService.issue(owner.id, 'email_verification', 60)
    const response = await client.post('/verify-email').accept('json').form({ token })
    response.assertStatus(403)
    await owner.refresh()
    assert.isNull(owner.emailVerifiedAt)
  })

  test('an unverified user resends the mail from the profile, throttled', async ({
    client,
    assert,
  }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization()
    owner.emailVerifiedAt = null
    await owner.save()

    const page = await client
      .get('/profile')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    assert.include(page.text(), 'Resend the verification email')

    const resend = () =>
      client
        .post('/profile/email/verification')
        .withCsrfToken()
        .redirects(0)
        .loginAs(owner)
        .withSession({ organization_id: organization.id })
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await resend()
      response.assertStatus(302)
      response.assertFlashMessage('success', `A verification link is on its way to ${owner.email}.`)
    }
    mails.assertQueuedCount(VerifyEmailMail, 3)
    const refused = await resend()
    assert.match(String(refused.flashMessages().error), /^Too many requests/)
    mails.assertQueuedCount(VerifyEmailMail, 3)
    assert.lengthOf(await auditQuery().where('action', 'auth.verification_sent'), 3)
  })

  test('a verified user sees no resend button and is told so', async ({ client, assert }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization()
    owner.emailVerifiedAt = DateTime.utc()
    await owner.save()
    const page = await client
      .get('/profile')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    assert.notInclude(page.text(), 'Resend the verification email')
    const response = await client
      .post('/profile/email/verification')
      .withCsrfToken()
      .redirects(0)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    response.assertFlashMessage('success', 'Your email address is already verified.')
    mails.assertNoneQueued()
  })
})

test.group('Console account: profile', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())
  group.each.teardown(() => mail.restore())

  test('guests are sent to /login', async ({ client }) => {
    const response = await client.get('/profile').redirects(0)
    response.assertStatus(302)
    response.assertHeader('location', '/login')
  })

  test('renders for any member: name, email, my tokens only, or an empty state', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const viewer = await addMember(organization, 'viewer')
    await tokenFor(owner, organization)

    const empty = await client
      .get('/profile')
      .loginAs(viewer)
      .withSession({ organization_id: organization.id })
    empty.assertStatus(200)
    assert.include(empty.text(), viewer.email)
    assert.include(empty.text(), 'No API tokens')

    const { organization: other } = await createOrganization('Elsewhere')
    await addMember(other, 'viewer', viewer)
    await TenantContext.run(organization.id, () =>
      AccessToken.query().where('user_id', owner.id).update({ name: 'owner-token' })
    )
    await User.accessTokens.create(viewer, ['*'], {
      organizationId: organization.id,
      name: 'mine-here',
    })
    await User.accessTokens.create(viewer, ['*'], {
      organizationId: other.id,
      name: 'mine-elsewhere',
    })

    const page = await client
      .get('/profile')
      .loginAs(viewer)
      .withSession({ organization_id: organization.id })
    const html = page.text()
    assert.include(html, 'mine-here')
    assert.notInclude(html, 'mine-elsewhere')
    assert.notInclude(html, 'owner-token')
  })

  test('updates the name, audited as user.updated', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const previous = owner.name
    const response = await client
      .put('/profile')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .redirects(0)
      .form({ name: 'Ada Lovelace' })
    response.assertStatus(302)
    response.assertHeader('location', '/profile')
    response.assertFlashMessage('success', 'Profile saved.')
    await owner.refresh()
    assert.equal(owner.name, 'Ada Lovelace')
    const audit = await findAuditOrFail('action', 'user.updated')
    assert.deepEqual(audit.changes, { name: { from: previous, to: 'Ada Lovelace' } })
    assert.equal(audit.organizationId, organization.id)
  })

  test('an empty name shows an inline error and changes nothing', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const previous = owner.name
    const response = await client
      .put('/profile')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .redirects(0)
      .form({ name: '' })
    response.assertHasValidationError('name')
    await owner.refresh()
    assert.equal(owner.name, previous)
    assert.lengthOf(await auditQuery().where('action', 'user.updated'), 0)
  })

  test('a profile form without a CSRF token is refused', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const previous = owner.name
    const response = await client
      .put('/profile')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .accept('json')
      .form({ name: 'Changed' })
    response.assertStatus(403)
    await owner.refresh()
    assert.equal(owner.name, previous)
  })

  test('changes the email with the current password: unverified, mailed, audited', async ({
    client,
    assert,
  }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization()
    owner.emailVerifiedAt = DateTime.utc()
    await owner.save()
    const previous = owner.email

    const response = await client
      .put('/profile/email')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .redirects(0)
      .form({ form: 'email', email: 'New.Address@Example.com', current_password: USER_PASSWORD })
    response.assertStatus(302)
    response.assertFlashMessage(
      'success',
      'Email changed. Follow the link sent to new.address@example.com to verify it.'
    )
    await owner.refresh()
    assert.equal(owner.email, 'new.address@example.com')
    assert.isNull(owner.emailVerifiedAt)
    mails.assertQueued(VerifyEmailMail, (queued) => queued.message.hasTo('new.address@example.com'))
    const audit = await findAuditOrFail('action', 'user.email_changed')
    assert.deepEqual(audit.changes, { email: { from: previous, to: 'new.address@example.com' } })
    assert.notInclude(await auditJson(), USER_PASSWORD)
  })

  test('guessing the current password through the profile is throttled', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const attempt = () =>
      client
        .put('/profile/password')
        .loginAs(owner)
        .withSession({ organization_id: organization.id })
        .withCsrfToken()
        .redirects(0)
        .header('referer', '/profile')
        .form({
          form: 'password',
          current_password: 'a-guess-at-it-1',
          password: 'brand-new-secret-42',
          password_confirmation: 'brand-new-secret-42',
        })
    for (let index = 0; index < 10; index++) {
      ;(await attempt()).assertValidationError(
        'current_password',
        'The current password is incorrect'
      )
    }
    const blocked = await attempt()
    blocked.assertStatus(302)
    blocked.assertHeader('location', '/profile')
    assert.match(
      String(blocked.flashMessages().error),
      /^Too many requests: retry in \d+ seconds\.$/
    )
    await owner.refresh()
    assert.isTrue(await hash.verify(owner.password, USER_PASSWORD))
  })

  test('a wrong current password is an inline error on the email form; nothing changes', async ({
    client,
    assert,
  }) => {
    const { mails } = mail.fake()
    const { organization, owner } = await createOrganization()
    const previous = owner.email
    const response = await client
      .put('/profile/email')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .redirects(0)
      .form({ form: 'email', email: 'new@example.com', current_password: 'not-my-password-1' })
    response.assertStatus(302)
    response.assertValidationError('current_password', 'The current password is incorrect')
    await owner.refresh()
    assert.equal(owner.email, previous)
    mails.assertNoneQueued()
    assert.lengthOf(await auditQuery().where('action', 'user.email_changed'), 0)

    // Shown on the form that was sent, not on the password form.
    const page = await client
      .get('/profile')
      .loginAs(owner)
      .withSession({
        organization_id: organization.id,
        __flash__: {
          form: 'email',
          inputErrorsBag: { current_password: ['The current password is incorrect'] },
        },
      })
    assert.equal(page.text().match(/The current password is incorrect/g)?.length, 1)
    assert.match(
      page.text(),
      /id="current-password-email"[^>]*is-invalid|is-invalid[^>]*id="current-password-email"/
    )
  })

  test("another account's email is an inline error", async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const { owner: someoneElse } = await createOrganization('Other')
    const previous = owner.email
    const response = await client
      .put('/profile/email')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .redirects(0)
      .form({ form: 'email', email: someoneElse.email, current_password: USER_PASSWORD })
    response.assertHasValidationError('email')
    await owner.refresh()
    assert.equal(owner.email, previous)
  })

  test('changes the password, ends my other sessions, audited without secrets', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const elsewhere = await signIn(client, owner.email)

    const response = await client
      .put('/profile/password')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .redirects(0)
      .form({
        form: 'password',
        current_password: USER_PASSWORD,
        password: NEW_PASSWORD,
        password_confirmation: NEW_PASSWORD,
      })
    response.assertStatus(302)
    response.assertFlashMessage('success', 'Password changed. Your other sessions are signed out.')
    await owner.refresh()
    assert.isTrue(await hash.verify(owner.password, NEW_PASSWORD))

    const audit = await findAuditOrFail('action', 'user.password_changed')
    assert.deepEqual(audit.changes, { sessions_ended: 1 })
    const trail = await auditJson()
    assert.notInclude(trail, NEW_PASSWORD)
    assert.notInclude(trail, USER_PASSWORD)

    const after = await inSession(chooser(client), elsewhere)
    after.assertHeader('location', '/login')
    const live = await UserSession.query().where('user_id', owner.id).whereNull('revoked_at')
    assert.lengthOf(live, 1, 'the session that changed it stays signed in')
  })

  test('a wrong current password, weak or unconfirmed new password change nothing', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const attempts = [
      {
        fields: {
          current_password: 'not-my-password-1',
          password: NEW_PASSWORD,
          password_confirmation: NEW_PASSWORD,
        },
        field: 'current_password',
      },
      {
        fields: {
          current_password: USER_PASSWORD,
          password: 'short',
          password_confirmation: 'short',
        },
        field: 'password',
      },
      {
        fields: {
          current_password: USER_PASSWORD,
          password: NEW_PASSWORD,
          password_confirmation: 'other-thing-entirely-2',
        },
        field: 'password',
      },
    ]
    for (const { fields, field } of attempts) {
      const response = await client
        .put('/profile/password')
        .loginAs(owner)
        .withSession({ organization_id: organization.id })
        .withCsrfToken()
        .redirects(0)
        .form({ form: 'password', ...fields })
      response.assertStatus(302)
      response.assertHasValidationError(field)
      // The form's old input comes back, its secrets never do.
      const flashed = response.flashMessages()
      assert.equal(flashed.form, 'password')
      for (const secret of ['current_password', 'password', 'password_confirmation']) {
        assert.notProperty(flashed, secret)
      }
    }
    await owner.refresh()
    assert.isTrue(await hash.verify(owner.password, USER_PASSWORD))
    assert.lengthOf(await auditQuery().where('action', 'user.password_changed'), 0)
  })

  test('revokes one of my tokens (token.revoked, as the API); others answer 404', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const agent = await addMember(organization, 'agent')
    await tokenFor(agent, organization)
    await tokenFor(owner, organization)
    const { organization: other, owner: otherOwner } = await createOrganization('Other')
    await tokenFor(otherOwner, other)

    const [mine, theirs, foreign] = await TenantContext.asPlatform(async () => [
      await AccessToken.query().where('user_id', agent.id).firstOrFail(),
      await AccessToken.query().where('user_id', owner.id).firstOrFail(),
      await AccessToken.query().where('user_id', otherOwner.id).firstOrFail(),
    ])

    const page = await client
      .get('/profile')
      .loginAs(agent)
      .withSession({ organization_id: organization.id })
    assert.include(page.text(), `/profile/tokens/${mine.id}?_method=DELETE`)

    for (const token of [theirs, foreign]) {
      const refused = await client
        .delete(`/profile/tokens/${token.id}`)
        .loginAs(agent)
        .withSession({ organization_id: organization.id })
        .withCsrfToken()
        .redirects(0)
      refused.assertStatus(404)
    }
    const revoked = await client
      .delete(`/profile/tokens/${mine.id}`)
      .loginAs(agent)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .redirects(0)
    revoked.assertStatus(302)
    revoked.assertFlashMessage('success', 'Token revoked')

    const left = await TenantContext.asPlatform(() => AccessToken.query().orderBy('id'))
    assert.sameMembers(
      left.map((token) => Number(token.id)),
      [Number(theirs.id), Number(foreign.id)]
    )
    const audit = await findAuditOrFail('action', 'token.revoked')
    assert.equal(audit.subjectId, String(mine.id))
    assert.equal(audit.organizationId, organization.id)
  })
})
