import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import limiter from '@adonisjs/limiter/services/main'
import testUtils from '@adonisjs/core/services/test_utils'
import Invitation from '#models/invitation'
import Role from '#models/role'
import type Organization from '#models/organization'
import AuditService from '#services/audit_service'
import { TenantContext } from '#support/tenant_context'
import { UserFactory, USER_PASSWORD } from '#database/factories/user_factory'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'
import { auditQuery, findAuditOrFail } from '#tests/helpers/audit'

/** The number shown in a dashboard card. */
function stat(html: string, id: string) {
  const match = html.match(new RegExp(`id="${id}"[\\s\\S]*?data-value>\\s*(\\d+)`))
  return match ? Number(match[1]) : null
}

async function invite(organization: Organization, email: string) {
  await TenantContext.run(organization.id, async () => {
    const role = await Role.query()
      .where('slug', 'viewer')
      .whereNull('organization_id')
      .firstOrFail()
    await Invitation.create({
      email,
      roleId: role.id,
      tokenHash: `${email}-hash`.padEnd(64, '0'),
      expiresAt: DateTime.utc().plus({ days: 7 }),
    })
  })
}

async function audit(organization: Organization, times: number) {
  for (let index = 0; index < times; index++) {
    await AuditService.record({ action: 'test.event', organizationId: organization.id })
  }
}

test.group('Console pages', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())

  test('the login page renders a form with a CSRF field', async ({ client, assert }) => {
    const response = await client.get('/login')
    response.assertStatus(200)
    assert.match(response.text(), /name=['"]_csrf['"] value=['"][^'"]+/)
    assert.include(response.text(), '/vendor/tabler.min.css')
  })

  test('guests are sent to /login', async ({ client }) => {
    const response = await client.get('/').redirects(0)
    response.assertStatus(302)
    response.assertHeader('location', '/login')
  })

  test('a wrong password goes back to the form with an error and the email, audited', async ({
    client,
    assert,
  }) => {
    const { owner } = await createOrganization()
    const response = await client
      .post('/login')
      .withCsrfToken()
      .redirects(0)
      .header('referer', '/login')
      .form({ email: owner.email, password: 'wrong-password-1' })
    response.assertStatus(302)
    response.assertHeader('location', '/login')
    response.assertFlashMessage('error', 'Email or password is incorrect.')
    response.assertFlashMessage('email', owner.email)
    const entry = await findAuditOrFail('action', 'auth.login_failed')
    assert.equal(entry.status, 'error')
    assert.notProperty(response.session(), 'auth_web')
  })

  test('signing in starts the session in the only organization', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const response = await client
      .post('/login')
      .withCsrfToken()
      .redirects(0)
      .form({ email: owner.email, password: USER_PASSWORD })
    response.assertStatus(302)
    response.assertHeader('location', '/')
    assert.equal(response.session().organization_id, organization.id)
    assert.equal((await findAuditOrFail('action', 'auth.login')).organizationId, organization.id)
  })

  test('a super-admin without an organization starts on the platform pages', async ({ client }) => {
    const operator = await UserFactory.apply('superAdmin').create()
    const response = await client
      .post('/login')
      .withCsrfToken()
      .redirects(0)
      .form({ email: operator.email, password: USER_PASSWORD })
    response.assertStatus(302)
    response.assertHeader('location', '/admin/organizations')

    const chooser = await client.get('/organizations/choose').loginAs(operator)
    chooser.assertStatus(200)
    chooser.assertTextIncludes('Go to platform administration')
  })

  test("the dashboard shows the current organization's figures only", async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization('Mine')
    await addMember(organization, 'viewer')
    await invite(organization, 'one@example.com')
    await tokenFor(owner, organization)
    await audit(organization, 3)

    const { organization: other, owner: otherOwner } = await createOrganization('Other')
    for (let index = 0; index < 4; index++) await addMember(other, 'agent')
    await invite(other, 'two@example.com')
    await invite(other, 'three@example.com')
    for (let index = 0; index < 3; index++) await tokenFor(otherOwner, other)
    await audit(other, 7)

    const ours = await TenantContext.run(organization.id, () =>
      auditQuery().where('organization_id', organization.id)
    )

    const response = await client
      .get('/')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    response.assertStatus(200)
    const html = response.text()
    assert.equal(stat(html, 'stat-members'), 2)
    assert.equal(stat(html, 'stat-invitations'), 1)
    assert.equal(stat(html, 'stat-tokens'), 1)
    assert.equal(stat(html, 'stat-audit-today'), ours.length)
    assert.equal(stat(html, 'stat-audit-week'), ours.length)
    assert.include(html, `&quot;count&quot;:${ours.length}}]`)
    assert.include(html, '/vendor/chart.umd.min.js')
    assert.include(html, 'Mine')
    assert.notInclude(html, 'Other')
    // The owner's sidebar links every organization area, and no platform page.
    const sidebar = html.slice(html.indexOf('id="sidebar-menu"'), html.indexOf('</aside>'))
    for (const path of ['/members', '/roles', '/tokens', '/audit-logs', '/settings']) {
      assert.include(sidebar, `href="${path}"`)
    }
    assert.notInclude(sidebar, '/admin/')
    assert.notInclude(sidebar, '@!')
  })

  test('an agent sees no member or audit figures', async ({ client, assert }) => {
    const { organization } = await createOrganization()
    const agent = await addMember(organization, 'agent')
    const response = await client
      .get('/')
      .loginAs(agent)
      .withSession({ organization_id: organization.id })
    response.assertStatus(200)
    assert.isNull(stat(response.text(), 'stat-members'))
    assert.isNull(stat(response.text(), 'stat-audit-today'))
    // The sidebar offers only what an agent's role allows.
    const html = response.text()
    const sidebar = html.slice(html.indexOf('id="sidebar-menu"'), html.indexOf('</aside>'))
    assert.include(sidebar, 'href="/tokens"')
    for (const path of ['/members', '/roles', '/audit-logs']) {
      assert.notInclude(sidebar, `href="${path}"`)
    }
  })

  test('a form post without a CSRF token does not sign in', async ({ client }) => {
    const { owner } = await createOrganization()
    const response = await client
      .post('/login')
      .accept('json')
      .form({ email: owner.email, password: USER_PASSWORD })
    response.assertStatus(403)
    response.assertBodyContains({ error_code: 'CSRF_TOKEN_MISMATCH' })
  })

  test('a member of several organizations chooses one, then switches', async ({
    client,
    assert,
  }) => {
    const { organization: first, owner } = await createOrganization('First Org')
    const { organization: second } = await createOrganization('Second Org')
    await addMember(second, 'viewer', owner)

    const login = await client
      .post('/login')
      .withCsrfToken()
      .redirects(0)
      .form({ email: owner.email, password: USER_PASSWORD })
    login.assertHeader('location', '/organizations/choose')
    assert.notProperty(login.session(), 'organization_id')

    const dashboard = await client.get('/').loginAs(owner).redirects(0)
    dashboard.assertHeader('location', '/organizations/choose')

    const chooser = await client.get('/organizations/choose').loginAs(owner)
    chooser.assertStatus(200)
    assert.include(chooser.text(), 'First Org')
    assert.include(chooser.text(), 'Second Org')

    const chosen = await client
      .post('/auth/organization')
      .loginAs(owner)
      .withCsrfToken()
      .redirects(0)
      .form({ organization: second.slug })
    chosen.assertHeader('location', '/')
    assert.equal(chosen.session().organization_id, second.id)

    const page = await client.get('/').loginAs(owner).withSession({ organization_id: first.id })
    page.assertStatus(200)
    assert.include(page.text(), 'id="organization-switcher"')
  })

  test('signing out ends the session', async ({ client, assert }) => {
    const { owner } = await createOrganization()
    const response = await client.post('/logout').loginAs(owner).withCsrfToken().redirects(0)
    response.assertHeader('location', '/login')
    assert.equal((await findAuditOrFail('action', 'auth.logout')).actorUserId, owner.id)
  })
})
