import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import Membership from '#models/membership'
import User from '#models/user'
import type Organization from '#models/organization'
import RoleService from '#services/role_service'
import { ALL_PERMISSIONS, PERMISSIONS } from '#enums/permissions'
import { TenantContext } from '#support/tenant_context'
import { UserFactory } from '#database/factories/user_factory'
import { auditQuery, findAuditOrFail } from '#tests/helpers/audit'
import { addMember, createOrganization } from '#tests/helpers/identity'

function customRole(organization: Organization, name: string, permissions: string[]) {
  return TenantContext.run(organization.id, () =>
    RoleService.create({ name, permissions }, new Set(ALL_PERMISSIONS))
  )
}

async function grantRows(roleId: number) {
  const rows = await db.from('role_permissions').where('role_id', roleId).orderBy('permission')
  return rows.map((row) => row.permission)
}

async function systemRoleId(slug: string) {
  const row = await db.from('roles').where('slug', slug).whereNull('organization_id').firstOrFail()
  return Number(row.id)
}

async function tokenRows(organization: Organization) {
  return db.from('access_tokens').where('organization_id', organization.id).orderBy('id')
}

test.group('Console roles', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('lists built-in roles (badged) and custom roles with member counts', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const role = await customRole(organization, 'Support lead', ['members.view'])
    const holder = await UserFactory.create()
    await TenantContext.run(organization.id, () =>
      Membership.create({ userId: holder.id, roleId: role.id, status: 'active' })
    )
    await customRole((await createOrganization('Other Org')).organization, 'Foreign role', [
      'members.view',
    ])

    const response = await client
      .get('/roles')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    response.assertStatus(200)
    const html = response.text()
    assert.include(html, 'Built-in')
    assert.include(html, 'Owner')
    assert.include(html, 'Viewer')
    assert.match(html, new RegExp(`id="role-${role.id}"[\\s\\S]*?Support lead[\\s\\S]*?<td>1</td>`))
    assert.notInclude(html, 'Foreign role')
    assert.include(html, 'href="/roles/create"')
    assert.include(html, `/roles/${role.id}/edit`)
    assert.notInclude(html, `/roles/${await systemRoleId('owner')}/edit`)
  })

  test('a viewer reads the roles but sees no write action and is refused on each', async ({
    client,
    assert,
  }) => {
    const { organization } = await createOrganization()
    const role = await customRole(organization, 'Support lead', ['members.view'])
    const viewer = await addMember(organization, 'viewer')
    const session = { organization_id: organization.id }

    const page = await client.get('/roles').loginAs(viewer).withSession(session)
    page.assertStatus(200)
    assert.include(page.text(), 'Support lead')
    assert.notInclude(page.text(), 'New role')
    assert.notInclude(page.text(), `/roles/${role.id}/edit`)
    assert.notInclude(page.text(), '_method=DELETE')

    const form = await client.get('/roles/create').loginAs(viewer).withSession(session)
    form.assertStatus(403)
    const store = await client
      .post('/roles')
      .loginAs(viewer)
      .withSession(session)
      .withCsrfToken()
      .redirects(0)
      .form({ 'name': 'Sneaky', 'permissions[]': ['members.view'] })
    store.assertStatus(403)
    const update = await client
      .put(`/roles/${role.id}`)
      .loginAs(viewer)
      .withSession(session)
      .withCsrfToken()
      .redirects(0)
      .form({ 'name': 'Renamed', 'permissions[]': ['members.view'] })
    update.assertStatus(403)
    const destroy = await client
      .delete(`/roles/${role.id}`)
      .loginAs(viewer)
      .withSession(session)
      .withCsrfToken()
      .redirects(0)
    destroy.assertStatus(403)

    const rows = await db.from('roles').where('organization_id', organization.id)
    assert.deepEqual(
      rows.map((row) => row.name),
      ['Support lead']
    )
  })

  test('an agent (without members.view) cannot open the roles page', async ({ client }) => {
    const { organization } = await createOrganization()
    const agent = await addMember(organization, 'agent')
    const response = await client
      .get('/roles')
      .loginAs(agent)
      .withSession({ organization_id: organization.id })
    response.assertStatus(403)
  })

  test('the form groups the permission checklist by area with descriptions', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const response = await client
      .get('/roles/create')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    response.assertStatus(200)
    const html = response.text()
    for (const area of ['organization', 'members', 'roles', 'tokens', 'audit', 'billing']) {
      assert.include(html, `id="area-${area}"`)
    }
    for (const [key, description] of Object.entries(PERMISSIONS)) {
      assert.include(html, `value="${key}"`)
      assert.include(html, description.replace('’', '’'))
    }
    assert.match(html, /name=['"]_csrf['"]/)
  })

  test('creates a custom role, audited like the API, and flashes', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const response = await client
      .post('/roles')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .redirects(0)
      .form({
        'name': 'Support lead',
        'description': 'Runs the inbox',
        'permissions[]': ['members.view', 'conversations.reply'],
      })
    response.assertStatus(302)
    response.assertHeader('location', '/roles')
    response.assertFlashMessage('success', 'Role "Support lead" created.')

    const row = await db
      .from('roles')
      .where('organization_id', organization.id)
      .where('name', 'Support lead')
      .firstOrFail()
    assert.equal(row.description, 'Runs the inbox')
    assert.deepEqual(await grantRows(row.id), ['conversations.reply', 'members.view'])
    const entry = await findAuditOrFail('action', 'role.created')
    assert.equal(entry.organizationId, organization.id)
    assert.equal(entry.actorUserId, owner.id)
    assert.equal(entry.subjectId, String(row.id))
  })

  test('invalid input shows the inline errors and creates nothing', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const response = await client
      .post('/roles')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .header('referer', '/roles/create')
      .redirects(0)
      .form({ name: 'x' })
    response.assertStatus(302)
    response.assertHeader('location', '/roles/create')
    const errors = response.flashMessages().inputErrorsBag as Record<string, string[]>
    assert.properties(errors, ['name', 'permissions'])
    assert.lengthOf(await db.from('roles').where('organization_id', organization.id), 0)

    const form = await client
      .get('/roles/create')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withFlashMessages(response.flashMessages())
    assert.include(form.text(), 'is-invalid')
    assert.include(form.text(), errors.name[0])
    assert.include(form.text(), errors.permissions[0])
  })

  test('a post without a CSRF token is refused and writes nothing', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const response = await client
      .post('/roles')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .redirects(0)
      .form({ 'name': 'No token', 'permissions[]': ['members.view'] })
    response.assertStatus(403)
    assert.include(response.text(), 'This form has expired')
    const json = await client
      .post('/roles')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .accept('json')
      .form({ 'name': 'No token', 'permissions[]': ['members.view'] })
    json.assertStatus(403)
    json.assertBodyContains({ error_code: 'CSRF_TOKEN_MISMATCH' })
    assert.lengthOf(await db.from('roles').where('organization_id', organization.id), 0)
  })

  test('nobody grants a permission they lack: the refusal is flashed back', async ({
    client,
    assert,
  }) => {
    const { organization } = await createOrganization()
    const admin = await addMember(organization, 'admin')
    const response = await client
      .post('/roles')
      .loginAs(admin)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .header('referer', '/roles/create')
      .redirects(0)
      .form({ 'name': 'Billing', 'permissions[]': ['members.view', 'billing.manage'] })
    response.assertStatus(302)
    response.assertHeader('location', '/roles/create')
    assert.include(response.flashMessages().error, 'billing.manage')
    assert.equal(response.flashMessages().name, 'Billing')
    assert.lengthOf(await db.from('roles').where('organization_id', organization.id), 0)

    const form = await client
      .get('/roles/create')
      .loginAs(admin)
      .withSession({ organization_id: organization.id })
    assert.include(form.text(), 'you do not hold it, so you cannot grant it')
  })

  test('edits a custom role, audited before/after', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const role = await customRole(organization, 'Support lead', ['members.view'])
    const session = { organization_id: organization.id }

    const form = await client.get(`/roles/${role.id}/edit`).loginAs(owner).withSession(session)
    form.assertStatus(200)
    assert.match(form.text(), /value="members\.view"\s*checked/)
    assert.include(form.text(), `/roles/${role.id}?_method=PUT`)

    const response = await client
      .put(`/roles/${role.id}`)
      .loginAs(owner)
      .withSession(session)
      .withCsrfToken()
      .redirects(0)
      .form({ 'name': 'Inbox lead', 'description': '', 'permissions[]': ['conversations.view'] })
    response.assertHeader('location', '/roles')
    response.assertFlashMessage('success', 'Role "Inbox lead" updated.')
    assert.deepEqual(await grantRows(role.id), ['conversations.view'])
    const entry = await findAuditOrFail('action', 'role.updated')
    assert.deepEqual((entry.changes as any).before.permissions, ['members.view'])
    assert.deepEqual((entry.changes as any).after.permissions, ['conversations.view'])
  })

  test('unticking every permission is an inline error, not a silent no-op', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const role = await customRole(organization, 'Support lead', ['members.view'])
    const response = await client
      .put(`/roles/${role.id}`)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .header('referer', `/roles/${role.id}/edit`)
      .redirects(0)
      .form({ name: 'Support lead' })
    response.assertHeader('location', `/roles/${role.id}/edit`)
    assert.property(response.flashMessages().inputErrorsBag, 'permissions')
    assert.deepEqual(await grantRows(role.id), ['members.view'])
    assert.equal(
      await auditQuery()
        .where('action', 'role.updated')
        .count('* as total')
        .first()
        .then((row) => Number(row!.$extras.total)),
      0
    )
  })

  test('built-in roles are read-only pages; changing one is refused', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const viewerRole = await systemRoleId('viewer')
    const session = { organization_id: organization.id }

    const page = await client.get(`/roles/${viewerRole}`).loginAs(owner).withSession(session)
    page.assertStatus(200)
    assert.include(page.text(), 'Built-in roles cannot be changed')
    assert.match(page.text(), /data-permission="members\.view"[\s\S]*?Granted/)
    assert.notInclude(page.text(), `/roles/${viewerRole}/edit`)
    assert.notInclude(page.text(), 'type="checkbox"')

    const edit = await client
      .get(`/roles/${viewerRole}/edit`)
      .loginAs(owner)
      .withSession(session)
      .redirects(0)
    edit.assertHeader('location', `/roles/${viewerRole}`)

    const update = await client
      .put(`/roles/${viewerRole}`)
      .loginAs(owner)
      .withSession(session)
      .withCsrfToken()
      .header('referer', `/roles/${viewerRole}`)
      .redirects(0)
      .form({ 'name': 'Hacked', 'permissions[]': ['members.manage'] })
    update.assertStatus(302)
    assert.include(update.flashMessages().error, 'Built-in roles cannot be changed')
    const row = await db.from('roles').where('id', viewerRole).firstOrFail()
    assert.equal(row.name, 'Viewer')
  })

  test('deletes an unused role; a role in use is refused with a flash', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const unused = await customRole(organization, 'Unused', ['members.view'])
    const used = await customRole(organization, 'Used', ['members.view'])
    const holder = await UserFactory.create()
    await TenantContext.run(organization.id, () =>
      Membership.create({ userId: holder.id, roleId: used.id, status: 'active' })
    )
    const session = { organization_id: organization.id }

    const deleted = await client
      .delete(`/roles/${unused.id}`)
      .loginAs(owner)
      .withSession(session)
      .withCsrfToken()
      .redirects(0)
    deleted.assertHeader('location', '/roles')
    deleted.assertFlashMessage('success', 'Role "Unused" deleted.')
    assert.isNull(await db.from('roles').where('id', unused.id).first())
    assert.equal((await findAuditOrFail('action', 'role.deleted')).subjectId, String(unused.id))

    const refused = await client
      .delete(`/roles/${used.id}`)
      .loginAs(owner)
      .withSession(session)
      .withCsrfToken()
      .header('referer', '/roles')
      .redirects(0)
    refused.assertHeader('location', '/roles')
    assert.include(refused.flashMessages().error, 'used by 1 member')
    assert.isNotNull(await db.from('roles').where('id', used.id).first())
  })

  test("another organization's role answers 404 and stays unchanged", async ({
    client,
    assert,
  }) => {
    const { organization: other } = await createOrganization('Other Org')
    const foreign = await customRole(other, 'Foreign', ['members.view'])
    const { organization, owner } = await createOrganization()
    const session = { organization_id: organization.id }

    for (const url of [`/roles/${foreign.id}`, `/roles/${foreign.id}/edit`]) {
      const page = await client.get(url).loginAs(owner).withSession(session)
      page.assertStatus(404)
    }
    const update = await client
      .put(`/roles/${foreign.id}`)
      .loginAs(owner)
      .withSession(session)
      .withCsrfToken()
      .redirects(0)
      .form({ 'name': 'Stolen', 'permissions[]': ['members.view'] })
    update.assertStatus(404)
    const destroy = await client
      .delete(`/roles/${foreign.id}`)
      .loginAs(owner)
      .withSession(session)
      .withCsrfToken()
      .redirects(0)
    destroy.assertStatus(404)
    const row = await db.from('roles').where('id', foreign.id).firstOrFail()
    assert.equal(row.name, 'Foreign')
    assert.deepEqual(await grantRows(foreign.id), ['members.view'])
  })
})

test.group('Console API tokens', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('the page renders its empty state and the form', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const response = await client
      .get('/tokens')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    response.assertStatus(200)
    response.assertHeader('cache-control', 'no-store')
    const html = response.text()
    assert.include(html, 'No API tokens yet')
    assert.include(html, 'id="token-form"')
    assert.include(html, 'All of my permissions')
    assert.match(html, /value="90 days"\s*selected/)
    assert.include(html, 'value="billing.manage"')
  })

  test('creates a token: the value is shown once, audited without the secret', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const created = await client
      .post('/tokens')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .redirects(0)
      .form({ 'name': 'CRM sync', 'abilities[]': ['members.view'], 'expires_in': '30 days' })
    created.assertStatus(302)
    created.assertHeader('location', '/tokens')
    const plain = created.flashMessages().plainToken as string
    assert.match(plain, /^prl_/)
    assert.include(created.flashMessages().success, 'not shown again')

    const [row] = await tokenRows(organization)
    assert.equal(row.name, 'CRM sync')
    assert.deepEqual(JSON.parse(row.abilities), ['members.view'])
    const days = (new Date(row.expires_at).getTime() - Date.now()) / 86_400_000
    assert.closeTo(days, 30, 0.1)

    const entry = await findAuditOrFail('action', 'token.created')
    assert.equal(entry.subjectId, String(row.id))
    assert.notInclude(JSON.stringify(entry.serialize()), plain.slice(4))

    // The token works on the API, narrowed to its ability.
    const me = await client.get('/api/v1/users').bearerToken(plain)
    me.assertStatus(200)

    // The redirected page load gets the flash and shows it; the next load does not.
    const first = await client
      .get('/tokens')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withFlashMessages(created.flashMessages())
    first.assertStatus(200)
    assert.include(first.text(), `value="${plain}"`)
    assert.match(first.text(), /id="plain-token"[\s\S]*?readonly/)
    assert.include(first.text(), 'navigator.clipboard.writeText')
    const second = await client
      .get('/tokens')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    second.assertStatus(200)
    assert.include(second.text(), 'CRM sync')
    assert.notInclude(second.text(), 'id="new-token"')
    assert.notInclude(second.text(), plain)
    assert.notInclude(second.text(), plain.slice(4))
  })

  test('"all of my permissions" is the default ability; nothing ticked is an inline error', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const session = { organization_id: organization.id }
    const all = await client
      .post('/tokens')
      .loginAs(owner)
      .withSession(session)
      .withCsrfToken()
      .redirects(0)
      .form({ 'name': 'Everything', 'abilities[]': ['*'], 'expires_in': '7 days' })
    all.assertHeader('location', '/tokens')
    const [row] = await tokenRows(organization)
    assert.deepEqual(JSON.parse(row.abilities), ['*'])

    const none = await client
      .post('/tokens')
      .loginAs(owner)
      .withSession(session)
      .withCsrfToken()
      .header('referer', '/tokens')
      .redirects(0)
      .form({ name: 'Nothing', expires_in: '7 days' })
    none.assertHeader('location', '/tokens')
    assert.property(none.flashMessages().inputErrorsBag, 'abilities')
    assert.notProperty(none.flashMessages(), 'plainToken')

    const bad = await client
      .post('/tokens')
      .loginAs(owner)
      .withSession(session)
      .withCsrfToken()
      .header('referer', '/tokens')
      .redirects(0)
      .form({ 'name': '', 'abilities[]': ['*'], 'expires_in': 'forever' })
    assert.properties(bad.flashMessages().inputErrorsBag, ['name', 'expires_in'])
    assert.lengthOf(await tokenRows(organization), 1)

    const page = await client
      .get('/tokens')
      .loginAs(owner)
      .withSession(session)
      .withFlashMessages(bad.flashMessages())
    assert.include(page.text(), 'is-invalid')
  })

  test('a viewer creates only tokens within their permissions', async ({ client, assert }) => {
    const { organization } = await createOrganization()
    const viewer = await addMember(organization, 'viewer')
    const page = await client
      .get('/tokens')
      .loginAs(viewer)
      .withSession({ organization_id: organization.id })
    page.assertStatus(200)
    assert.include(page.text(), 'value="members.view"')
    assert.notInclude(page.text(), 'value="members.manage"')

    const refused = await client
      .post('/tokens')
      .loginAs(viewer)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .header('referer', '/tokens')
      .redirects(0)
      .form({ 'name': 'Escalate', 'abilities[]': ['members.manage'], 'expires_in': '7 days' })
    refused.assertHeader('location', '/tokens')
    assert.include(refused.flashMessages().error, 'members.manage')
    assert.lengthOf(await tokenRows(organization), 0)
  })

  test('revokes a token, audited; the token stops working', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const token = await User.accessTokens.create(owner, ['*'], {
      organizationId: organization.id,
      name: 'Old script',
    })
    const page = await client
      .get('/tokens')
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
    assert.include(page.text(), 'Old script')
    assert.include(page.text(), `/tokens/${token.identifier}?_method=DELETE`)
    assert.notInclude(page.text(), token.value!.release())

    const response = await client
      .delete(`/tokens/${token.identifier}`)
      .loginAs(owner)
      .withSession({ organization_id: organization.id })
      .withCsrfToken()
      .redirects(0)
    response.assertHeader('location', '/tokens')
    response.assertFlashMessage('success', 'Token "Old script" revoked.')
    assert.lengthOf(await tokenRows(organization), 0)
    assert.equal(
      (await findAuditOrFail('action', 'token.revoked')).subjectId,
      String(token.identifier)
    )
    const api = await client.get('/api/v1/organization').bearerToken(token.value!.release())
    api.assertStatus(401)
  })

  test("a viewer sees only their own tokens and cannot revoke someone else's", async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const viewer = await addMember(organization, 'viewer')
    const ownerToken = await User.accessTokens.create(owner, ['*'], {
      organizationId: organization.id,
      name: 'Owner script',
    })
    await User.accessTokens.create(viewer, ['members.view'], {
      organizationId: organization.id,
      name: 'Viewer script',
    })
    const session = { organization_id: organization.id }

    const page = await client.get('/tokens').loginAs(viewer).withSession(session)
    assert.include(page.text(), 'Viewer script')
    assert.notInclude(page.text(), 'Owner script')

    const refused = await client
      .delete(`/tokens/${ownerToken.identifier}`)
      .loginAs(viewer)
      .withSession(session)
      .withCsrfToken()
      .redirects(0)
    refused.assertStatus(403)
    assert.lengthOf(await tokenRows(organization), 2)

    const ownerPage = await client.get('/tokens').loginAs(owner).withSession(session)
    assert.include(ownerPage.text(), 'Viewer script')
    assert.include(ownerPage.text(), 'Owner script')
  })

  test("another organization's token answers 404 and survives; no CSRF, no revoke", async ({
    client,
    assert,
  }) => {
    const { organization: other, owner: otherOwner } = await createOrganization('Other Org')
    const foreign = await User.accessTokens.create(otherOwner, ['*'], {
      organizationId: other.id,
      name: 'Foreign',
    })
    const { organization, owner } = await createOrganization()
    const mine = await User.accessTokens.create(owner, ['*'], {
      organizationId: organization.id,
      name: 'Mine',
    })
    const session = { organization_id: organization.id }

    const response = await client
      .delete(`/tokens/${foreign.identifier}`)
      .loginAs(owner)
      .withSession(session)
      .withCsrfToken()
      .redirects(0)
    response.assertStatus(404)
    assert.lengthOf(await tokenRows(other), 1)

    const noCsrf = await client
      .delete(`/tokens/${mine.identifier}`)
      .loginAs(owner)
      .withSession(session)
      .accept('json')
    noCsrf.assertStatus(403)
    const noCsrfCreate = await client
      .post('/tokens')
      .loginAs(owner)
      .withSession(session)
      .redirects(0)
      .form({ 'name': 'x', 'abilities[]': ['*'], 'expires_in': '7 days' })
    assert.notProperty(noCsrfCreate.flashMessages(), 'plainToken')
    assert.lengthOf(await tokenRows(organization), 1)
  })
})
