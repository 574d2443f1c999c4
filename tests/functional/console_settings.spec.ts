import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import Organization from '#models/organization'
import { DateTime } from 'luxon'
import Invitation from '#models/invitation'
import Role from '#models/role'
import { TenantContext } from '#support/tenant_context'
import { findAuditOrFail } from '#tests/helpers/audit'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'

async function organizationRow(id: number) {
  return db.from('organizations').where('id', id).firstOrFail()
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

test.group('Console organization settings', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('an owner sees the form and the danger zone', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization('Lantern Support')
    const response = await client
      .get('/settings')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    response.assertStatus(200)
    const html = response.text()
    assert.include(html, 'id="settings-form"')
    assert.include(html, `value="${organization.slug}"`)
    assert.include(html, 'id="danger-zone"')
    assert.include(html, `Type ${organization.slug} to confirm`)
  })

  test('an admin edits settings but gets no danger zone and 403 on delete', async ({
    client,
    assert,
  }) => {
    const { organization } = await createOrganization()
    const admin = await addMember(organization, 'admin')
    const session = { organization_id: organization.id }
    const page = await client.get('/settings').loginAs(admin).withSession(session)
    page.assertStatus(200)
    assert.include(page.text(), 'Save settings')
    assert.notInclude(page.text(), 'id="danger-zone"')

    const response = await client
      .delete('/organization')
      .loginAs(admin)
      .withSession(session)
      .withCsrfToken()
      .redirects(0)
      .form({ confirm: organization.slug })
    response.assertStatus(403)
    assert.isNull((await organizationRow(organization.id)).deleted_at)
  })

  test('a viewer reads the settings without a form and gets 403 on update', async ({
    client,
    assert,
  }) => {
    const { organization } = await createOrganization('Lantern Support')
    const viewer = await addMember(organization, 'viewer')
    const session = { organization_id: organization.id }
    const page = await client.get('/settings').loginAs(viewer).withSession(session)
    page.assertStatus(200)
    assert.include(page.text(), 'Lantern Support')
    assert.notInclude(page.text(), 'Save settings')
    assert.notInclude(page.text(), 'name="slug"')
    assert.notInclude(page.text(), 'id="danger-zone"')

    const response = await client
      .put('/settings')
      .loginAs(viewer)
      .withSession(session)
      .withCsrfToken()
      .redirects(0)
      .form({ name: 'Hijacked', slug: 'hijacked' })
    response.assertStatus(403)
    assert.equal((await organizationRow(organization.id)).name, 'Lantern Support')
  })

  test('saves name and slug, audited like the API', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization('Lantern Support')
    const response = await client
      .put('/settings')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .redirects(0)
      .form({ name: 'Lantern Help', slug: 'lantern-help' })
    response.assertHeader('location', '/settings')
    response.assertFlashMessage('success', 'Organization settings saved.')
    const row = await organizationRow(organization.id)
    assert.equal(row.name, 'Lantern Help')
    assert.equal(row.slug, 'lantern-help')
    const entry = await findAuditOrFail('action', 'organization.updated')
    assert.equal(entry.organizationId, organization.id)
    assert.deepEqual((entry.changes as any).before, {
      name: 'Lantern Support',
      slug: organization.slug,
    })
  })

  test('a bad slug is an inline error; a taken one is flashed; nothing changes', async ({
    client,
    assert,
  }) => {
    const { organization: other } = await createOrganization('Taken Org')
    const { organization, owner } = await createOrganization('Lantern Support')
    const session = { organization_id: organization.id }

    const invalid = await client
      .put('/settings')
      .loginAs(owner)
      .withSession(session)
      .withCsrfToken()
      .header('referer', '/settings')
      .redirects(0)
      .form({ name: 'Lantern', slug: 'Not a slug!' })
    invalid.assertHeader('location', '/settings')
    assert.property(invalid.flashMessages().inputErrorsBag, 'slug')
    const page = await client
      .get('/settings')
      .loginAs(owner)
      .withSession(session)
      .withFlashMessages(invalid.flashMessages())
    assert.include(page.text(), 'is-invalid')
    assert.include(
      page.text(),
      (invalid.flashMessages().inputErrorsBag as Record<string, string[]>).slug[0]
    )

    const taken = await client
      .put('/settings')
      .loginAs(owner)
      .withSession(session)
      .withCsrfToken()
      .header('referer', '/settings')
      .redirects(0)
      .form({ name: 'Lantern', slug: other.slug })
    taken.assertHeader('location', '/settings')
    assert.equal(taken.flashMessages().error, 'This slug is already taken: choose another one.')

    const row = await organizationRow(organization.id)
    assert.equal(row.name, 'Lantern Support')
    assert.equal(row.slug, organization.slug)
  })

  test('a post without a CSRF token changes nothing', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization('Lantern Support')
    const response = await client
      .put('/settings')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .accept('json')
      .form({ name: 'No token' })
    response.assertStatus(403)
    response.assertBodyContains({ error_code: 'CSRF_TOKEN_MISMATCH' })
    const deletion = await client
      .delete('/organization')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .accept('json')
      .form({ confirm: organization.slug })
    deletion.assertStatus(403)
    const row = await organizationRow(organization.id)
    assert.equal(row.name, 'Lantern Support')
    assert.isNull(row.deleted_at)
  })
})

test.group('Console danger zone', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('the wrong slug is an inline error and deletes nothing', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization('Lantern Support')
    const response = await client
      .delete('/organization')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .header('referer', '/settings')
      .redirects(0)
      .form({ confirm: 'lantern' })
    response.assertHeader('location', '/settings')
    assert.property(response.flashMessages().inputErrorsBag, 'confirm')
    assert.isNull((await organizationRow(organization.id)).deleted_at)
  })

  test('an owner deletes the organization: tokens and invitations go, the session forgets it', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization('Lantern Support')
    const { organization: kept } = await createOrganization('Kept Org')
    await addMember(kept, 'viewer', owner)
    const agent = await addMember(organization, 'agent')
    const ownerToken = await tokenFor(owner, organization)
    const agentToken = await tokenFor(agent, organization)
    const keptToken = await tokenFor(owner, kept)
    await invite(organization, 'pending@example.com')
    await invite(kept, 'other@example.com')

    const response = await client
      .delete('/organization')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .redirects(0)
      .form({ confirm: organization.slug })
    response.assertStatus(302)
    response.assertHeader('location', '/organizations/choose')
    response.assertFlashMessage('success', 'Lantern Support was deleted.')
    assert.notProperty(response.session(), 'organization_id')

    const row = await organizationRow(organization.id)
    assert.isNotNull(row.deleted_at)
    assert.lengthOf(await db.from('access_tokens').where('organization_id', organization.id), 0)
    assert.lengthOf(await db.from('invitations').where('organization_id', organization.id), 0)
    assert.lengthOf(await db.from('access_tokens').where('organization_id', kept.id), 1)
    assert.lengthOf(await db.from('invitations').where('organization_id', kept.id), 1)

    const entry = await findAuditOrFail('action', 'organization.deleted')
    assert.equal(entry.organizationId, organization.id)
    assert.equal(entry.actorUserId, owner.id)
    assert.deepInclude(entry.changes as object, { revokedAccess: 2, cancelledInvitations: 1 })

    // Its tokens no longer work; the other organization's still do.
    for (const token of [ownerToken, agentToken]) {
      const api = await client.get('/api/v1/organization').bearerToken(token)
      api.assertStatus(401)
    }
    const keptApi = await client.get('/api/v1/organization').bearerToken(keptToken)
    keptApi.assertStatus(200)

    // The switcher and chooser no longer offer it.
    const chooser = await client.get('/organizations/choose').loginAs(owner)
    assert.include(chooser.text(), 'Kept Org')
    assert.notInclude(chooser.text(), 'Lantern Support')
    const page = await client.get('/').loginAs(owner).withSession({ organization_id: kept.id })
    page.assertStatus(200)
    assert.notInclude(page.text(), 'Lantern Support')
    const switched = await client
      .post('/auth/organization')
      .loginAs(owner)
      .withCsrfToken()
      .redirects(0)
      .accept('json')
      .form({ organization: organization.slug })
    assert.notEqual(switched.session().organization_id, organization.id)
  })

  test("a member whose session still names the deleted organization can't act in it", async ({
    client,
    assert,
  }) => {
    const { organization } = await createOrganization('Lantern Support')
    const admin = await addMember(organization, 'admin')
    await Organization.findOrFail(organization.id).then((row) => row.delete())

    const page = await client
      .get('/settings')
      .loginAs(admin)
      .withSession({ organization_id: organization.id })
      .redirects(0)
    page.assertStatus(302)
    page.assertHeader('location', '/organizations/choose')
    assert.notProperty(page.session(), 'organization_id')
    assert.equal(page.flashMessages().error, 'This organization no longer exists.')

    const write = await client
      .put('/settings')
      .loginAs(admin)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .redirects(0)
      .form({ name: 'Revived' })
    write.assertHeader('location', '/organizations/choose')
    assert.equal((await organizationRow(organization.id)).name, 'Lantern Support')
  })
})

test.group('API: DELETE /api/v1/organization', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('owners delete with the slug as confirmation, audited; admins are refused', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization('Lantern Support')
    const admin = await addMember(organization, 'admin')

    const refused = await client
      .delete('/api/v1/organization')
      .bearerToken(await tokenFor(admin, organization))
      .json({ confirm: organization.slug })
    refused.assertStatus(403)
    refused.assertBodyContains({ error_code: 'FORBIDDEN' })

    const token = await tokenFor(owner, organization)
    const wrong = await client
      .delete('/api/v1/organization')
      .bearerToken(token)
      .json({ confirm: 'nope' })
    wrong.assertStatus(422)
    assert.equal(wrong.body().errors[0].field, 'confirm')
    assert.isNull((await organizationRow(organization.id)).deleted_at)

    const response = await client
      .delete('/api/v1/organization')
      .bearerToken(token)
      .json({ confirm: organization.slug })
    response.assertStatus(200)
    response.assertBodyContains({ success: true, message: 'Organization deleted' })
    assert.isNotNull((await organizationRow(organization.id)).deleted_at)
    assert.equal((await findAuditOrFail('action', 'organization.deleted')).actorUserId, owner.id)

    const after = await client.get('/api/v1/organization').bearerToken(token)
    after.assertStatus(401)
  })
})
