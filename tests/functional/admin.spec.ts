import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { UserFactory } from '#database/factories/user_factory'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'
import { findAuditOrFail } from '#tests/helpers/audit'

test.group('Platform administration API', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('super-admins list organizations with member counts and search', async ({
    client,
    assert,
  }) => {
    const { organization } = await createOrganization('Zebra Logistics')
    await addMember(organization, 'agent')
    await createOrganization('Other Org')
    const { organization: home } = await createOrganization('Platform Home')
    const admin = await addMember(home, 'viewer', await UserFactory.apply('superAdmin').create())

    const response = await client
      .get('/api/v1/admin/organizations')
      .bearerToken(await tokenFor(admin, home))
      .qs({ q: 'zebra' })
    response.assertStatus(200)
    assert.lengthOf(response.body().data, 1)
    assert.equal(response.body().data[0].id, organization.id)
    assert.equal(response.body().data[0].members_count, 2)
  })

  test('suspending cuts the organization off; activating restores it', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const ownerToken = await tokenFor(owner, organization)
    const { organization: home } = await createOrganization('Platform Home')
    const admin = await addMember(home, 'viewer', await UserFactory.apply('superAdmin').create())
    const adminToken = await tokenFor(admin, home)

    const suspended = await client
      .patch(`/api/v1/admin/organizations/${organization.id}`)
      .bearerToken(adminToken)
      .json({ status: 'suspended' })
    suspended.assertStatus(200)
    const denied = await client.get('/api/v1/organization').bearerToken(ownerToken)
    denied.assertStatus(403)
    assert.equal(denied.body().error_code, 'ORGANIZATION_SUSPENDED')
    const audit = await findAuditOrFail('action', 'organization.suspended')
    assert.equal(audit.organizationId, organization.id)
    assert.equal(audit.actorUserId, admin.id)

    await client
      .patch(`/api/v1/admin/organizations/${organization.id}`)
      .bearerToken(adminToken)
      .json({ status: 'active' })
    const restored = await client.get('/api/v1/organization').bearerToken(ownerToken)
    restored.assertStatus(200)

    const missing = await client
      .patch('/api/v1/admin/organizations/999999')
      .bearerToken(adminToken)
      .json({ status: 'active' })
    missing.assertStatus(404)
    const invalid = await client
      .patch(`/api/v1/admin/organizations/${organization.id}`)
      .bearerToken(adminToken)
      .json({ status: 'deleted' })
    invalid.assertStatus(422)
  })

  test('everyone else gets 403, owners included', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)

    const list = await client.get('/api/v1/admin/organizations').bearerToken(token)
    list.assertStatus(403)
    assert.equal(list.body().error_code, 'FORBIDDEN')
    const update = await client
      .patch(`/api/v1/admin/organizations/${organization.id}`)
      .bearerToken(token)
      .json({ status: 'suspended' })
    update.assertStatus(403)
    await organization.refresh()
    assert.equal(organization.status, 'active')

    const anonymous = await client.get('/api/v1/admin/organizations')
    anonymous.assertStatus(401)
  })

  test('super-admin gets no bypass inside tenant routes', async ({ client }) => {
    const { owner: strangerOwner } = await createOrganization()
    const { organization: home } = await createOrganization('Platform Home')
    const admin = await addMember(home, 'viewer', await UserFactory.apply('superAdmin').create())

    const foreign = await client
      .get(`/api/v1/users/${strangerOwner.id}`)
      .bearerToken(await tokenFor(admin, home))
    foreign.assertStatus(404)
    const write = await client
      .patch('/api/v1/organization')
      .bearerToken(await tokenFor(admin, home))
      .json({ name: 'Viewer cannot' })
    write.assertStatus(403)
  })
})
