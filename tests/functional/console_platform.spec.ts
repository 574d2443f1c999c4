import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import testUtils from '@adonisjs/core/services/test_utils'
import limiter from '@adonisjs/limiter/services/main'
import AccessToken from '#models/access_token'
import type User from '#models/user'
import AuditService from '#services/audit_service'
import PlatformUserService from '#services/platform_user_service'
import { TenantContext } from '#support/tenant_context'
import { UserFactory, USER_PASSWORD } from '#database/factories/user_factory'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'
import { sqlTime } from '#support/sql_time'
import {
  auditQuery,
  findAudit,
  findAuditOrFail,
  insertAuditRows,
  matchingCount,
  pagerLinks,
} from '#tests/helpers/audit'
import { decodeHtml } from '#tests/helpers/html'

async function superAdmin() {
  return UserFactory.apply('superAdmin').create()
}

/** Tokens of a user in every organization (access tokens are tenant rows). */
async function tokensOf(user: User) {
  return TenantContext.asPlatform(async () => AccessToken.query().where('user_id', user.id))
}

test.group('Console: platform pages', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())

  test('everyone but an active super-admin gets 403, organization owners included', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const disabledAdmin = await UserFactory.apply('superAdmin').apply('disabled').create()
    for (const user of [owner, disabledAdmin]) {
      for (const url of [
        '/admin/organizations',
        '/admin/users',
        '/admin/audit-logs',
        '/admin/audit-logs/export',
      ]) {
        const response = await client.get(url).loginAs(user).redirects(0)
        response.assertStatus(403)
      }
      const write = await client
        .patch(`/admin/organizations/${organization.id}`)
        .loginAs(user)
        .withCsrfToken()
        .redirects(0)
        .form({ status: 'suspended' })
      write.assertStatus(403)
      const promote = await client
        .patch(`/admin/users/${owner.id}`)
        .loginAs(user)
        .withCsrfToken()
        .redirects(0)
        .form({ is_super_admin: 1 })
      promote.assertStatus(403)
    }
    await organization.refresh()
    assert.equal(organization.status, 'active')
    await owner.refresh()
    assert.isFalse(owner.isSuperAdmin)

    const guest = await client.get('/admin/organizations').redirects(0)
    guest.assertStatus(302)
    guest.assertHeader('location', '/login')
  })

  test('organizations: search, status filter and member counts', async ({ client, assert }) => {
    const admin = await superAdmin()
    const { organization: zebra } = await createOrganization('Zebra Logistics')
    await addMember(zebra, 'agent')
    await addMember(zebra, 'viewer')
    const { organization: quiet } = await createOrganization('Quiet Harbor')
    await quiet.merge({ status: 'suspended' }).save()

    const all = await client.get('/admin/organizations').loginAs(admin)
    all.assertStatus(200)
    assert.include(all.text(), 'Zebra Logistics')
    assert.include(all.text(), 'Quiet Harbor')
    assert.include(all.text(), `data-members="${zebra.id}">3<`)
    assert.include(all.text(), `data-members="${quiet.id}">1<`)

    const search = await client.get('/admin/organizations?q=zebra&status=').loginAs(admin)
    assert.include(search.text(), 'Zebra Logistics')
    assert.notInclude(search.text(), 'Quiet Harbor')
    const bySlug = await client.get(`/admin/organizations?q=${quiet.slug}`).loginAs(admin)
    assert.include(bySlug.text(), 'Quiet Harbor')

    const suspended = await client.get('/admin/organizations?status=suspended').loginAs(admin)
    assert.include(suspended.text(), 'Quiet Harbor')
    assert.notInclude(suspended.text(), 'Zebra Logistics')
    assert.include(suspended.text(), 'Activate')

    const none = await client.get('/admin/organizations?q=no-such-organization').loginAs(admin)
    assert.include(none.text(), 'No organizations')
  })

  test('suspend and activate an organization, audited like the API', async ({ client, assert }) => {
    const admin = await superAdmin()
    const { organization, owner } = await createOrganization('Lantern Co')

    const suspended = await client
      .patch(`/admin/organizations/${organization.id}`)
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
      .header('referer', '/admin/organizations?q=lantern')
      .form({ status: 'suspended' })
    suspended.assertStatus(302)
    suspended.assertHeader('location', '/admin/organizations?q=lantern')
    suspended.assertFlashMessage('success', 'Lantern Co suspended.')
    await organization.refresh()
    assert.equal(organization.status, 'suspended')
    const audit = await findAuditOrFail('action', 'organization.suspended')
    assert.equal(audit.organizationId, organization.id)
    assert.equal(audit.actorUserId, admin.id)
    assert.deepEqual(audit.changes, {
      before: { status: 'active' },
      after: { status: 'suspended' },
    })

    const locked = await client
      .get('/')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    locked.assertStatus(403)

    await client
      .patch(`/admin/organizations/${organization.id}`)
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
      .form({ status: 'active' })
    await organization.refresh()
    assert.equal(organization.status, 'active')
    assert.isNotNull(await findAudit('action', 'organization.activated'))
  })

  test('organization status: CSRF, validation and unknown ids', async ({ client, assert }) => {
    const admin = await superAdmin()
    const { organization } = await createOrganization()

    const noCsrf = await client
      .patch(`/admin/organizations/${organization.id}`)
      .loginAs(admin)
      .accept('json')
      .redirects(0)
      .form({ status: 'suspended' })
    noCsrf.assertStatus(403)
    noCsrf.assertBodyContains({ error_code: 'CSRF_TOKEN_MISMATCH' })

    const invalid = await client
      .patch(`/admin/organizations/${organization.id}`)
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
      .header('referer', '/admin/organizations')
      .form({ status: 'deleted' })
    invalid.assertStatus(302)
    assert.property(invalid.flashMessages().inputErrorsBag, 'status')

    const missing = await client
      .patch('/admin/organizations/999999999')
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
      .form({ status: 'suspended' })
    missing.assertStatus(404)

    await organization.refresh()
    assert.equal(organization.status, 'active')
    assert.isNull(await findAudit('action', 'organization.suspended'))
  })

  test('users: search, filters, organization counts and last sign-in', async ({
    client,
    assert,
  }) => {
    const admin = await superAdmin()
    const { owner } = await createOrganization()
    const { organization: second } = await createOrganization('Second')
    await addMember(second, 'viewer', owner)
    const off = await UserFactory.merge({ email: 'off-user@example.com' })
      .apply('disabled')
      .create()

    const all = await client.get('/admin/users').loginAs(admin)
    all.assertStatus(200)
    assert.include(all.text(), owner.email)
    assert.include(all.text(), `data-organizations="${owner.id}">2<`)
    assert.include(all.text(), 'never')
    assert.include(all.text(), '(you)')

    const row = (id: number) => `data-organizations="${id}"`
    const search = await client.get(`/admin/users?q=${owner.email.toUpperCase()}`).loginAs(admin)
    assert.include(search.text(), row(owner.id))
    assert.notInclude(search.text(), row(admin.id))

    const disabled = await client.get('/admin/users?status=disabled').loginAs(admin)
    assert.include(disabled.text(), row(off.id))
    assert.notInclude(disabled.text(), row(owner.id))

    const admins = await client.get('/admin/users?super_admin=1').loginAs(admin)
    assert.include(admins.text(), row(admin.id))
    assert.notInclude(admins.text(), row(owner.id))
    const others = await client.get('/admin/users?super_admin=0&status=').loginAs(admin)
    assert.include(others.text(), row(owner.id))
    assert.notInclude(others.text(), row(admin.id))

    const bad = await client
      .get('/admin/users?status=gone')
      .loginAs(admin)
      .header('referer', '/admin/users')
      .redirects(0)
    bad.assertStatus(302)
    assert.property(bad.flashMessages().inputErrorsBag, 'status')
  })

  test('disabling a user revokes their tokens everywhere and stops their sign-in', async ({
    client,
    assert,
  }) => {
    const admin = await superAdmin()
    const { organization, owner } = await createOrganization()
    const { organization: second } = await createOrganization('Second')
    await addMember(second, 'viewer', owner)
    const token = await tokenFor(owner, organization)
    await tokenFor(owner, second)
    const bystander = await addMember(organization, 'agent')
    await tokenFor(bystander, organization)

    const disabled = await client
      .patch(`/admin/users/${owner.id}`)
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
      .form({ status: 'disabled' })
    disabled.assertStatus(302)
    disabled.assertFlashMessage('success', `${owner.email} disabled; their API tokens are revoked.`)
    await owner.refresh()
    assert.equal(owner.status, 'disabled')
    assert.lengthOf(await tokensOf(owner), 0)
    assert.lengthOf(await tokensOf(bystander), 1)
    const audit = await findAuditOrFail('action', 'platform.user.disabled')
    assert.equal(audit.actorUserId, admin.id)
    assert.equal(audit.subjectId, String(owner.id))
    assert.isNull(audit.organizationId)
    assert.deepEqual(audit.changes, {
      before: { status: 'active', is_super_admin: false },
      after: { status: 'disabled', is_super_admin: false },
    })

    const api = await client.get('/api/v1/organization').bearerToken(token)
    api.assertStatus(401)
    const login = await client
      .post('/login')
      .withCsrfToken()
      .redirects(0)
      .form({ email: owner.email, password: USER_PASSWORD })
    login.assertFlashMessage('error', 'This account is disabled: contact an organization owner.')
    const session = await client
      .get('/')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    session.assertStatus(403)

    const enabled = await client
      .patch(`/admin/users/${owner.id}`)
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
      .form({ status: 'active' })
    enabled.assertFlashMessage('success', `${owner.email} enabled.`)
    await owner.refresh()
    assert.equal(owner.status, 'active')
    assert.isNotNull(await findAudit('action', 'platform.user.enabled'))
  })

  test('promoting grants the platform pages; demoting takes them away', async ({
    client,
    assert,
  }) => {
    const admin = await superAdmin()
    const { owner } = await createOrganization()

    const promoted = await client
      .patch(`/admin/users/${owner.id}`)
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
      .form({ is_super_admin: '1' })
    promoted.assertFlashMessage('success', `${owner.email} is now a super-admin.`)
    assert.isNotNull(await findAudit('action', 'platform.user.promoted'))
    const reach = await client.get('/admin/organizations').loginAs(owner)
    reach.assertStatus(200)

    const demoted = await client
      .patch(`/admin/users/${owner.id}`)
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
      .form({ is_super_admin: '0' })
    demoted.assertFlashMessage('success', `${owner.email} is no longer a super-admin.`)
    const audit = await findAuditOrFail('action', 'platform.user.demoted')
    assert.deepEqual(audit.changes, {
      before: { status: 'active', is_super_admin: true },
      after: { status: 'active', is_super_admin: false },
    })
    const gone = await client.get('/admin/organizations').loginAs(owner)
    gone.assertStatus(403)
  })

  test('a super-admin cannot demote or disable themselves', async ({ client, assert }) => {
    const admin = await superAdmin()
    await superAdmin()
    for (const form of [{ is_super_admin: '0' }, { status: 'disabled' }]) {
      const response = await client
        .patch(`/admin/users/${admin.id}`)
        .loginAs(admin)
        .withCsrfToken()
        .redirects(0)
        .header('referer', '/admin/users')
        .form(form)
      response.assertStatus(302)
      response.assertHeader('location', '/admin/users')
      response.assertFlashMessage(
        'error',
        'You cannot change your own account here: ask another super-admin.'
      )
    }
    await admin.refresh()
    assert.isTrue(admin.isSuperAdmin)
    assert.equal(admin.status, 'active')
    assert.lengthOf(await auditQuery().whereLike('action', 'platform.user.%'), 0)

    const page = await client.get('/admin/users').loginAs(admin)
    assert.notInclude(page.text(), `id="demote-${admin.id}"`)
  })

  test('the last active super-admin cannot be removed', async ({ assert }) => {
    const first = await superAdmin()
    const second = await superAdmin()
    // Two super-admins demote each other: the second change finds the
    // other one already gone and is refused.
    await PlatformUserService.update(first, second.id, { is_super_admin: false })
    await assert.rejects(
      () => PlatformUserService.update(second, first.id, { is_super_admin: false }),
      'This is the last active super-admin: promote someone else first.'
    )
    await assert.rejects(
      () => PlatformUserService.update(second, first.id, { status: 'disabled' }),
      'This is the last active super-admin: promote someone else first.'
    )
    await first.refresh()
    assert.isTrue(first.isSuperAdmin)
    assert.equal(first.status, 'active')
  })

  test('user changes: CSRF, validation, one change at a time, unknown ids', async ({
    client,
    assert,
  }) => {
    const admin = await superAdmin()
    const { owner } = await createOrganization()

    const noCsrf = await client
      .patch(`/admin/users/${owner.id}`)
      .loginAs(admin)
      .accept('json')
      .redirects(0)
      .form({ status: 'disabled' })
    noCsrf.assertStatus(403)
    noCsrf.assertBodyContains({ error_code: 'CSRF_TOKEN_MISMATCH' })

    const empty = await client
      .patch(`/admin/users/${owner.id}`)
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
      .header('referer', '/admin/users')
      .form({ status: 'gone' })
    empty.assertStatus(302)
    assert.property(empty.flashMessages().inputErrorsBag, 'status')

    const both = await client
      .patch(`/admin/users/${owner.id}`)
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
      .header('referer', '/admin/users')
      .form({ status: 'disabled', is_super_admin: '1' })
    both.assertFlashMessage('error', 'Change the status or the super-admin flag, one at a time.')

    const missing = await client
      .patch('/admin/users/999999999')
      .loginAs(admin)
      .withCsrfToken()
      .redirects(0)
      .form({ status: 'disabled' })
    missing.assertStatus(404)

    await owner.refresh()
    assert.equal(owner.status, 'active')
    assert.isFalse(owner.isSuperAdmin)
    assert.lengthOf(await auditQuery().whereLike('action', 'platform.user.%'), 0)
  })

  test('the platform audit log spans organizations, filters by one, shows and exports', async ({
    client,
    assert,
  }) => {
    const admin = await superAdmin()
    const { organization: alpha, owner } = await createOrganization('Alpha Org')
    const { organization: beta } = await createOrganization('Beta Org')
    await AuditService.record({
      action: 'member.updated',
      organizationId: alpha.id,
      actorUserId: owner.id,
      requestId: 'req-alpha-0001',
      userAgent: 'Alpha UA',
      ip: '192.0.2.1',
      changes: { secret: 'shh-alpha' },
    })
    await AuditService.record({
      action: 'member.removed',
      organizationId: beta.id,
      requestId: 'req-beta-0001',
      message: '=1+1',
    })
    const alphaEntry = await findAuditOrFail('request_id', 'req-alpha-0001')
    const betaEntry = await findAuditOrFail('request_id', 'req-beta-0001')

    const all = await client.get('/admin/audit-logs').loginAs(admin)
    all.assertStatus(200)
    assert.include(all.text(), `href="/admin/audit-logs/${alphaEntry.id}"`)
    assert.include(all.text(), `href="/admin/audit-logs/${betaEntry.id}"`)
    assert.include(all.text(), '<td>Alpha Org</td>')
    assert.include(all.text(), '<td>Beta Org</td>')

    const onlyBeta = await client.get(`/admin/audit-logs?organization_id=${beta.id}`).loginAs(admin)
    assert.include(onlyBeta.text(), `href="/admin/audit-logs/${betaEntry.id}"`)
    assert.notInclude(onlyBeta.text(), `href="/admin/audit-logs/${alphaEntry.id}"`)

    const byActor = await client
      .get(`/admin/audit-logs?organization_id=${alpha.id}&user_id=${owner.id}`)
      .loginAs(admin)
    assert.include(byActor.text(), `href="/admin/audit-logs/${alphaEntry.id}"`)
    assert.include(byActor.text(), `<option value="${owner.id}" selected>`)

    const detail = await client.get(`/admin/audit-logs/${alphaEntry.id}`).loginAs(admin)
    detail.assertStatus(200)
    assert.include(detail.text(), 'req-alpha-0001')
    assert.include(detail.text(), 'Alpha UA')
    assert.include(detail.text(), alpha.slug)
    assert.include(detail.text(), '[REDACTED]')
    assert.notInclude(detail.text(), 'shh-alpha')
    const missing = await client.get('/admin/audit-logs/999999999').loginAs(admin)
    missing.assertStatus(404)

    const csv = await client.get('/admin/audit-logs/export?action=member.*').loginAs(admin)
    csv.assertStatus(200)
    assert.match(
      csv.header('content-disposition') ?? '',
      /^attachment; filename="platform-audit-log-/
    )
    const lines = csv.text().trim().split('\r\n')
    assert.match(lines[0], /^organization,time,action,/)
    assert.lengthOf(lines, 3)
    assert.isTrue(lines.some((line) => line.startsWith(`${beta.slug},`) && line.includes("'=1+1")))
    assert.isTrue(lines.some((line) => line.startsWith(`${alpha.slug},`)))
    const exported = await findAuditOrFail('action', 'audit_log.exported')
    assert.isNull(exported.organizationId)
    assert.equal(exported.actorUserId, admin.id)
  })
  test('the platform audit log pages with Older and Newer, the organization filter kept', async ({
    client,
    assert,
  }) => {
    const admin = await superAdmin()
    const { organization: alpha } = await createOrganization('Alpha Org')
    const { organization: beta } = await createOrganization('Beta Org')
    const at = sqlTime(DateTime.utc().startOf('second'))
    await insertAuditRows(
      [alpha, beta, alpha, beta, alpha, beta, alpha].map((owned, index) => ({
        organization_id: owned.id,
        action: 'bulk.event',
        status: 'success',
        request_id: `platform-walk-${index}`,
        created_at: at,
      }))
    )
    const listed = (html: string) =>
      [...html.matchAll(/href="\/admin\/audit-logs\/(\d+)"/g)].map((match) => Number(match[1]))
    const walk = async (url: string) => {
      const pages: number[][] = []
      let next: string | null = url
      while (next && pages.length < 5) {
        const response = await client.get(next).loginAs(admin)
        response.assertStatus(200)
        pages.push(listed(response.text()))
        next = pagerLinks(response.text()).older
      }
      return pages
    }
    const expected = async (organizationId?: number) => {
      const rows = await auditQuery()
        .where('action', 'bulk.event')
        .if(organizationId, (query) => query.where('organization_id', organizationId!))
        .orderBy('id', 'desc')
      return rows.map((row) => row.id)
    }

    const everyone = await walk('/admin/audit-logs?action=bulk.event&per_page=3')
    assert.deepEqual(everyone.flat(), await expected())
    assert.lengthOf(everyone, 3)

    const onlyAlpha = `/admin/audit-logs?organization_id=${alpha.id}&action=bulk.event&per_page=3`
    const alphaPages = await walk(onlyAlpha)
    assert.deepEqual(alphaPages.flat(), await expected(alpha.id))
    assert.deepEqual(
      alphaPages.map((ids) => ids.length),
      [3, 1]
    )

    const first = await client.get(onlyAlpha).loginAs(admin)
    assert.equal(matchingCount(first.text()), '4 entries')
    assert.isNull(pagerLinks(first.text()).newer)
    const older = pagerLinks(first.text()).older!
    assert.include(older, `organization_id=${alpha.id}`)
    const second = await client.get(older).loginAs(admin)
    assert.isNull(pagerLinks(second.text()).older)
    const newer = pagerLinks(second.text()).newer!
    assert.include(newer, `organization_id=${alpha.id}`)
    const exportLink = decodeHtml(second.text()).match(/href="([^"]+)"[^>]*id="audit-export"/)![1]
    assert.deepEqual(Object.fromEntries(new URL(exportLink, 'http://console.test').searchParams), {
      organization_id: String(alpha.id),
      action: 'bulk.event',
      per_page: '3',
    })
    const back = await client.get(newer).loginAs(admin)
    assert.deepEqual(listed(back.text()), alphaPages[0])
    assert.isNull(pagerLinks(back.text()).newer)

    const bad = await client
      .get(`/admin/audit-logs?organization_id=${alpha.id}&before=nope`)
      .loginAs(admin)
      .redirects(0)
    bad.assertStatus(302)
    bad.assertHeader('location', `/admin/audit-logs?organization_id=${alpha.id}`)
  })
})
