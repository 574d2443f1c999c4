import { test } from '@japa/runner'
import limiter from '@adonisjs/limiter/services/main'
import testUtils from '@adonisjs/core/services/test_utils'
import { USER_PASSWORD } from '#database/factories/user_factory'
import { addMember, createOrganization } from '#tests/helpers/identity'
import { findAuditOrFail } from '#tests/helpers/audit'

test.group('Console session', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())

  test('logs in with a session cookie, regenerated, HttpOnly, SameSite=Lax', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()

    const response = await client
      .post('/auth/login')
      .withCsrfToken()
      .json({ email: owner.email, password: USER_PASSWORD })

    response.assertStatus(200)
    assert.equal(response.body().data.current.organization.id, organization.id)
    const cookie = (response.header('set-cookie') as unknown as string[]).find((value) =>
      value.startsWith('parley-session=')
    )!
    assert.include(cookie, 'HttpOnly')
    assert.include(cookie, 'SameSite=Lax')
    assert.equal((await findAuditOrFail('action', 'auth.login')).actorUserId, owner.id)
  })

  test('without a CSRF token the login form is refused', async ({ client, assert }) => {
    const { owner } = await createOrganization()
    const response = await client
      .post('/auth/login')
      .accept('json')
      .json({ email: owner.email, password: USER_PASSWORD })
    response.assertStatus(403)
    assert.equal(response.body().error_code, 'CSRF_TOKEN_MISMATCH')

    const browser = await client
      .post('/auth/login')
      .redirects(0)
      .form({ email: owner.email, password: USER_PASSWORD })
    browser.assertStatus(403)
    assert.include(browser.text(), 'This form has expired')
    assert.notProperty(browser.session(), 'auth_web')
  })

  test('a user of several organizations chooses one, and can switch', async ({
    client,
    assert,
  }) => {
    const { organization: first, owner } = await createOrganization('First Org')
    const { organization: second } = await createOrganization('Second Org')
    await addMember(second, 'viewer', owner)

    const login = await client
      .post('/auth/login')
      .withCsrfToken()
      .json({ email: owner.email, password: USER_PASSWORD })
    login.assertStatus(200)
    assert.isNull(login.body().data.current)
    assert.sameMembers(
      login.body().data.organizations.map((organization: any) => organization.slug),
      [first.slug, second.slug]
    )

    const noTenant = await client.get('/auth/session').loginAs(owner)
    noTenant.assertStatus(403)

    const switched = await client
      .post('/auth/organization')
      .loginAs(owner)
      .withCsrfToken()
      .json({ organization: second.slug })
    switched.assertStatus(200)
    assert.equal(switched.body().data.role.slug, 'viewer')
    const entry = await findAuditOrFail('action', 'auth.organization_switched')
    assert.equal(entry.organizationId, second.id)
    assert.equal(entry.actorUserId, owner.id)

    // The console's switcher posts a form: redirected to the dashboard with a flash.
    const form = await client
      .post('/auth/organization')
      .loginAs(owner)
      .withCsrfToken()
      .redirects(0)
      .form({ organization: first.slug })
    form.assertStatus(302)
    form.assertHeader('location', '/')
    form.assertFlashMessage('success', `Now working in ${first.name}`)
    form.assertSession('organization_id', first.id)

    const session = await client
      .get('/auth/session')
      .loginAs(owner)
      .withSession({ organization_id: second.id })
    session.assertStatus(200)
    assert.equal(session.body().data.organization.id, second.id)

    const notMine = await client
      .post('/auth/organization')
      .loginAs(owner)
      .withCsrfToken()
      .json({ organization: 'someone-else' })
    notMine.assertStatus(404)
  })

  test('wrong passwords are audited and throttled like the API login', async ({
    client,
    assert,
  }) => {
    const { owner } = await createOrganization()
    for (let attempt = 0; attempt < 5; attempt++) {
      const failed = await client
        .post('/auth/login')
        .withCsrfToken()
        .json({ email: owner.email, password: 'wrong-password-1' })
      failed.assertStatus(401)
    }
    const blocked = await client
      .post('/auth/login')
      .withCsrfToken()
      .json({ email: owner.email, password: USER_PASSWORD })
    blocked.assertStatus(429)
    assert.equal((await findAuditOrFail('action', 'auth.login_failed')).status, 'error')
  })

  test("a suspended organization's sessions get 403 ORGANIZATION_SUSPENDED", async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    organization.status = 'suspended'
    await organization.save()

    const response = await client
      .get('/auth/session')
      .accept('json')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    response.assertStatus(403)
    assert.equal(response.body().error_code, 'ORGANIZATION_SUSPENDED')
  })

  test('logout ends the session', async ({ client, assert }) => {
    const { owner } = await createOrganization()
    const response = await client.post('/auth/logout').loginAs(owner).withCsrfToken()
    response.assertStatus(200)
    assert.equal((await findAuditOrFail('action', 'auth.logout')).actorUserId, owner.id)
  })
})
