import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import Membership from '#models/membership'
import Organization from '#models/organization'
import Role from '#models/role'
import User from '#models/user'
import { MissingTenantError, TenantContext } from '#support/tenant_context'
import { OrganizationFactory } from '#database/factories/organization_factory'
import { UserFactory } from '#database/factories/user_factory'

async function twoTenants() {
  return TenantContext.asPlatform(async () => {
    const [orgA, orgB] = await OrganizationFactory.createMany(2)
    const [ada, bob, cy] = await UserFactory.createMany(3)
    const viewer = await Role.findByOrFail('slug', 'viewer')
    const membershipA = await Membership.create({
      organizationId: orgA.id,
      userId: ada.id,
      roleId: viewer.id,
      status: 'active',
    })
    const membershipA2 = await Membership.create({
      organizationId: orgA.id,
      userId: cy.id,
      roleId: viewer.id,
      status: 'active',
    })
    const membershipB = await Membership.create({
      organizationId: orgB.id,
      userId: bob.id,
      roleId: viewer.id,
      status: 'active',
    })
    return { orgA, orgB, ada, bob, viewer, membershipA, membershipA2, membershipB }
  })
}

test.group('Tenant scoping', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('a tenant-scoped query with no tenant set throws', async ({ assert }) => {
    await twoTenants()
    await assert.rejects(() => Membership.all(), MissingTenantError)
    await assert.rejects(async () => {
      await Membership.query().where('status', 'active')
    }, MissingTenantError)
    assert.throws(() => Membership.query(), /no organization is set/)
  })

  test('reads only see the current organization, whatever the query shape', async ({ assert }) => {
    const { orgA, membershipA, membershipA2, membershipB } = await twoTenants()

    await TenantContext.run(orgA.id, async () => {
      const all = await Membership.all()
      assert.sameMembers(
        all.map((row) => row.id),
        [membershipA.id, membershipA2.id]
      )
      assert.isNull(await Membership.find(membershipB.id))
      await assert.rejects(() => Membership.findOrFail(membershipB.id))
      const counted = await Membership.query().count('* as total')
      assert.equal(Number(counted[0].$extras.total), 2)
      const pojos = await Membership.query().pojo()
      assert.lengthOf(pojos, 2)
      const page = await Membership.query().paginate(1, 10)
      assert.equal(page.total, 2)
    })
  })

  test('bulk updates and deletes touch only the current organization', async ({ assert }) => {
    const { orgA, membershipB } = await twoTenants()

    await TenantContext.run(orgA.id, async () => {
      await Membership.query().update({ status: 'disabled' })
      await Membership.query().delete()
    })

    const untouched = await db.from('memberships').where('id', membershipB.id).first()
    assert.equal(untouched.status, 'active')
    const left = await db.from('memberships').where('organization_id', orgA.id)
    assert.lengthOf(left, 0)
  })

  test('relation queries are scoped too', async ({ assert }) => {
    const { orgA, orgB, bob, viewer } = await twoTenants()
    await TenantContext.asPlatform(() =>
      Membership.create({
        organizationId: orgA.id,
        userId: bob.id,
        roleId: viewer.id,
        status: 'active',
      })
    )

    await TenantContext.run(orgB.id, async () => {
      const memberships = await bob.related('memberships').query()
      assert.deepEqual(
        memberships.map((membership) => membership.organizationId),
        [orgB.id]
      )
    })
  })

  test('create stamps the current organization, whatever the input says', async ({ assert }) => {
    const { orgA, orgB, bob, viewer } = await twoTenants()

    const created = await TenantContext.run(orgA.id, () =>
      Membership.create({
        organizationId: orgB.id,
        userId: bob.id,
        roleId: viewer.id,
        status: 'active',
      })
    )
    assert.equal(created.organizationId, orgA.id)
  })

  test("another organization's row can never be saved or deleted", async ({ assert }) => {
    const { orgA, membershipB } = await twoTenants()
    const foreign = await TenantContext.asPlatform(() => Membership.findOrFail(membershipB.id))

    await TenantContext.run(orgA.id, async () => {
      foreign.status = 'disabled'
      await assert.rejects(() => foreign.save(), MissingTenantError)
      await assert.rejects(() => foreign.delete(), MissingTenantError)
    })
    const row = await db.from('memberships').where('id', membershipB.id).first()
    assert.equal(row.status, 'active')
  })

  test('built-in roles are shared read-only; custom roles stay in their organization', async ({
    assert,
  }) => {
    const { orgA, orgB } = await twoTenants()
    const custom = await TenantContext.run(orgB.id, () =>
      Role.create({ slug: 'support', name: 'Support', isSystem: false })
    )

    await TenantContext.run(orgA.id, async () => {
      const roles = await Role.all()
      const slugs = roles.map((role) => role.slug)
      assert.sameMembers(slugs, ['owner', 'admin', 'agent', 'viewer'])
      assert.isNull(await Role.find(custom.id))

      const owner = await Role.findByOrFail('slug', 'owner')
      owner.name = 'Boss'
      await assert.rejects(() => owner.save(), MissingTenantError)
    })
  })

  test('platform code opts out explicitly and sees every organization', async ({ assert }) => {
    await twoTenants()
    const all = await TenantContext.asPlatform(() => Membership.all())
    assert.isAtLeast(all.length, 3)
  })
})

test.group('Soft deletes', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('deleted rows are hidden unless asked for, and can be restored', async ({ assert }) => {
    const [kept, removed] = await OrganizationFactory.createMany(2)
    await removed.delete()

    const row = await db.from('organizations').where('id', removed.id).first()
    assert.isNotNull(row.deleted_at)
    assert.isNull(await Organization.find(removed.id))
    const visible = await Organization.query().whereIn('id', [kept.id, removed.id])
    assert.deepEqual(
      visible.map((organization) => organization.id),
      [kept.id]
    )
    const withTrashed = await Organization.query()
      .withTrashed()
      .whereIn('id', [kept.id, removed.id])
    assert.lengthOf(withTrashed, 2)
    const onlyTrashed = await Organization.query()
      .onlyTrashed()
      .whereIn('id', [kept.id, removed.id])
    assert.deepEqual(
      onlyTrashed.map((organization) => organization.id),
      [removed.id]
    )

    await removed.restore()
    assert.isNotNull(await Organization.find(removed.id))
  })

  test('forceDelete removes the row; soft-deleted users cannot be found to log in', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    await user.delete()
    assert.isNull(await User.findBy('email', user.email))

    await user.forceDelete()
    assert.isNull(await db.from('users').where('id', user.id).first())
  })
})
