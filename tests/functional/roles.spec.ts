import { DateTime } from 'luxon'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import Invitation from '#models/invitation'
import Membership from '#models/membership'
import Role from '#models/role'
import type Organization from '#models/organization'
import RoleService from '#services/role_service'
import { ALL_PERMISSIONS, PERMISSIONS, SYSTEM_ROLE_PERMISSIONS } from '#enums/permissions'
import { TenantContext } from '#support/tenant_context'
import { UserFactory } from '#database/factories/user_factory'
import { auditQuery, findAuditOrFail } from '#tests/helpers/audit'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'

function customRole(organization: Organization, name: string, permissions: string[]) {
  return TenantContext.run(organization.id, () =>
    RoleService.create({ name, permissions }, new Set(ALL_PERMISSIONS))
  )
}

async function memberWithRole(organization: Organization, role: Role) {
  const user = await UserFactory.create()
  await TenantContext.run(organization.id, () =>
    Membership.create({ userId: user.id, roleId: role.id, status: 'active' })
  )
  return user
}

async function inviteWithRole(organization: Organization, role: Role, acceptedAt?: DateTime) {
  return TenantContext.run(organization.id, () =>
    Invitation.create({
      email: `${Math.random().toString(36).slice(2)}@example.com`,
      roleId: role.id,
      tokenHash: Math.random().toString(36).repeat(3),
      expiresAt: DateTime.utc().plus({ days: 7 }),
      acceptedAt: acceptedAt ?? null,
    })
  )
}

async function grantRows(roleId: number) {
  const rows = await db.from('role_permissions').where('role_id', roleId).orderBy('permission')
  return rows.map((row) => row.permission)
}

async function roleRow(roleId: number) {
  return db.from('roles').where('id', roleId).first()
}

test.group('Permissions catalogue', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('any member reads it, grouped by area, with descriptions', async ({ client, assert }) => {
    const { organization } = await createOrganization()
    const agent = await addMember(organization, 'agent')

    const response = await client
      .get('/api/v1/permissions')
      .bearerToken(await tokenFor(agent, organization))
    response.assertStatus(200)

    const areas: { area: string; permissions: { key: string; description: string }[] }[] =
      response.body().data
    const members = areas.find((entry) => entry.area === 'members')!
    assert.deepEqual(
      members.permissions.map((permission) => permission.key),
      ['members.view', 'members.manage']
    )
    const listed = areas.flatMap((entry) => entry.permissions.map(({ key }) => key))
    assert.sameMembers(listed, ALL_PERMISSIONS)
    assert.lengthOf(listed, ALL_PERMISSIONS.length)
    for (const { area, permissions } of areas) {
      for (const { key, description } of permissions) {
        assert.isTrue(key.startsWith(`${area}.`))
        assert.equal(description, PERMISSIONS[key as keyof typeof PERMISSIONS])
      }
    }

    const anonymous = await client.get('/api/v1/permissions')
    anonymous.assertStatus(401)
  })
})

test.group('Roles API', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test("lists built-in roles and this organization's custom roles", async ({ client, assert }) => {
    const { organization } = await createOrganization('Acme')
    const { organization: other } = await createOrganization('Globex')
    await customRole(organization, 'Support Lead', ['conversations.reply', 'chatbots.view'])
    await customRole(other, 'Globex Only', ['chatbots.view'])
    const viewer = await addMember(organization, 'viewer')

    const response = await client
      .get('/api/v1/roles')
      .bearerToken(await tokenFor(viewer, organization))
    response.assertStatus(200)
    const roles = response.body().data
    assert.deepEqual(
      roles.map((role: { slug: string }) => role.slug),
      ['owner', 'admin', 'agent', 'viewer', 'support-lead']
    )
    assert.deepEqual(roles[0].permissions, ALL_PERMISSIONS)
    assert.isTrue(roles[0].is_system)
    assert.deepEqual(roles[4].permissions, ['chatbots.view', 'conversations.reply'])
    assert.isFalse(roles[4].is_system)
    assert.notProperty(roles[4], 'organization_id')
    assert.deepEqual(response.body().meta, { page: 1, per_page: 20, total: 5, last_page: 1 })

    const paged = await client
      .get('/api/v1/roles?per_page=2&page=3')
      .bearerToken(await tokenFor(viewer, organization))
    assert.deepEqual(
      paged.body().data.map((role: { slug: string }) => role.slug),
      ['support-lead']
    )

    const agent = await addMember(organization, 'agent')
    const forbidden = await client
      .get('/api/v1/roles')
      .bearerToken(await tokenFor(agent, organization))
    forbidden.assertStatus(403)
    assert.include(forbidden.body().message, 'members.view')
  })

  test('creates a custom role with a generated slug, audited', async ({ client, assert }) => {
    const { organization } = await createOrganization()
    const admin = await addMember(organization, 'admin')

    const response = await client
      .post('/api/v1/roles')
      .bearerToken(await tokenFor(admin, organization))
      .json({
        name: '  Support Lead ',
        description: 'Answers the hard ones',
        permissions: ['conversations.reply', 'chatbots.view', 'conversations.view'],
      })

    response.assertStatus(201)
    const role = response.body().data
    assert.equal(role.name, 'Support Lead')
    assert.equal(role.slug, 'support-lead')
    assert.equal(role.description, 'Answers the hard ones')
    assert.isFalse(role.is_system)
    assert.deepEqual(role.permissions, [
      'chatbots.view',
      'conversations.view',
      'conversations.reply',
    ])

    const row = await roleRow(role.id)
    assert.equal(row.organization_id, organization.id)
    assert.sameMembers(await grantRows(role.id), role.permissions)

    const audit = await findAuditOrFail('action', 'role.created')
    assert.equal(audit.organizationId, organization.id)
    assert.equal(audit.actorUserId, admin.id)
    assert.equal(audit.subjectId, String(role.id))
    assert.deepEqual((audit.changes as any).permissions, role.permissions)
  })

  test('refuses invalid fields with 422 and creates nothing', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    const cases: [Record<string, unknown>, string, string][] = [
      [{ permissions: ['chatbots.view'] }, 'name', 'required'],
      [{ name: 'X', permissions: ['chatbots.view'] }, 'name', 'minLength'],
      [{ name: 'No permissions' }, 'permissions', 'required'],
      [{ name: 'Empty', permissions: [] }, 'permissions', 'array.minLength'],
      [{ name: 'Unknown', permissions: ['chatbots.view', 'root'] }, 'permissions.1', 'permission'],
      [
        { name: 'Twice', permissions: ['chatbots.view', 'chatbots.view'] },
        'permissions',
        'distinct',
      ],
      [{ name: 'Star', permissions: ['*'] }, 'permissions.0', 'permission'],
      [
        { name: 'Long', description: 'x'.repeat(501), permissions: ['chatbots.view'] },
        'description',
        'maxLength',
      ],
    ]

    for (const [body, field, rule] of cases) {
      const response = await client.post('/api/v1/roles').bearerToken(token).json(body)
      response.assertStatus(422)
      assert.equal(response.body().error_code, 'VALIDATION_ERROR')
      assert.deepInclude(
        response.body().errors.map((error: { field: string; rule: string }) => ({
          field: error.field,
          rule: error.rule,
        })),
        { field, rule },
        JSON.stringify(body)
      )
    }
    const custom = await TenantContext.run(organization.id, () =>
      Role.query().where('is_system', false)
    )
    assert.lengthOf(custom, 0)
  })

  test('names are unique per organization, case-insensitively; slugs stay unique', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization('Acme')
    const { organization: other, owner: otherOwner } = await createOrganization('Globex')
    const token = await tokenFor(owner, organization)
    const create = (name: string) =>
      client
        .post('/api/v1/roles')
        .bearerToken(token)
        .json({ name, permissions: ['chatbots.view'] })

    ;(await create('Support Lead')).assertStatus(201)
    for (const taken of ['SUPPORT LEAD', 'support lead', 'Admin', 'viewer']) {
      const response = await create(taken)
      response.assertStatus(409)
      assert.equal(response.body().error_code, 'ROLE_NAME_TAKEN')
    }

    const lookalike = await create('Support-Lead!')
    lookalike.assertStatus(201)
    assert.equal(lookalike.body().data.slug, 'support-lead-2')
    const ownerLike = await create('Owner (billing)')
    assert.equal(ownerLike.body().data.slug, 'owner-billing')
    const builtInSlug = await create('Owner!')
    assert.equal(builtInSlug.body().data.slug, 'owner-2')

    const elsewhere = await client
      .post('/api/v1/roles')
      .bearerToken(await tokenFor(otherOwner, other))
      .json({ name: 'Support Lead', permissions: ['chatbots.view'] })
    elsewhere.assertStatus(201)
    assert.equal(elsewhere.body().data.slug, 'support-lead')

    const renamed = await client
      .patch(`/api/v1/roles/${lookalike.body().data.id}`)
      .bearerToken(token)
      .json({ name: 'support LEAD' })
    renamed.assertStatus(409)
    assert.equal(renamed.body().error_code, 'ROLE_NAME_TAKEN')

    const recased = await client
      .patch(`/api/v1/roles/${lookalike.body().data.id}`)
      .bearerToken(token)
      .json({ name: 'SUPPORT-LEAD!' })
    recased.assertStatus(200)
    assert.equal(recased.body().data.slug, 'support-lead-2')
  })

  test('a viewer cannot create roles; a token without roles.manage cannot either', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const viewer = await addMember(organization, 'viewer')
    const role = await customRole(organization, 'Support', ['chatbots.view'])
    const body = { name: 'Sneaky', permissions: ['chatbots.view'] }

    const asViewer = await client
      .post('/api/v1/roles')
      .bearerToken(await tokenFor(viewer, organization))
      .json(body)
    asViewer.assertStatus(403)
    assert.equal(asViewer.body().error_code, 'FORBIDDEN')
    assert.include(asViewer.body().message, 'roles.manage')

    const narrow = await tokenFor(owner, organization, { abilities: ['members.view'] })
    ;(await client.post('/api/v1/roles').bearerToken(narrow).json(body)).assertStatus(403)
    ;(
      await client.patch(`/api/v1/roles/${role.id}`).bearerToken(narrow).json({ name: 'Renamed' })
    ).assertStatus(403)
    ;(await client.delete(`/api/v1/roles/${role.id}`).bearerToken(narrow)).assertStatus(403)

    const roles = await TenantContext.run(organization.id, () =>
      Role.query().where('is_system', false)
    )
    assert.deepEqual(
      roles.map((row) => row.name),
      ['Support']
    )
  })

  test('nobody grants permissions they do not hold themselves', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const admin = await addMember(organization, 'admin')
    const adminToken = await tokenFor(admin, organization)

    const escalating = await client
      .post('/api/v1/roles')
      .bearerToken(adminToken)
      .json({ name: 'Billing', permissions: ['chatbots.view', 'billing.manage'] })
    escalating.assertStatus(403)
    assert.equal(escalating.body().error_code, 'PRIVILEGE_ESCALATION')
    assert.include(escalating.body().message, 'billing.manage')
    assert.notInclude(escalating.body().message, 'chatbots.view')

    // A token narrows what its holder may grant.
    const narrowOwner = await tokenFor(owner, organization, {
      abilities: ['roles.manage', 'chatbots.view'],
    })
    const beyondToken = await client
      .post('/api/v1/roles')
      .bearerToken(narrowOwner)
      .json({ name: 'Builders', permissions: ['chatbots.manage'] })
    beyondToken.assertStatus(403)
    assert.equal(beyondToken.body().error_code, 'PRIVILEGE_ESCALATION')
    const withinToken = await client
      .post('/api/v1/roles')
      .bearerToken(narrowOwner)
      .json({ name: 'Watchers', permissions: ['chatbots.view'] })
    withinToken.assertStatus(201)

    // So does a custom role.
    const manager = await customRole(organization, 'Role Manager', ['roles.manage', 'members.view'])
    const roleManager = await memberWithRole(organization, manager)
    const viaCustom = await client
      .post('/api/v1/roles')
      .bearerToken(await tokenFor(roleManager, organization))
      .json({ name: 'Inviters', permissions: ['members.view', 'members.manage'] })
    viaCustom.assertStatus(403)
    assert.include(viaCustom.body().message, 'members.manage')

    // Adding a permission one lacks is refused; keeping one is not granting it.
    const finance = await customRole(organization, 'Finance', ['billing.manage', 'audit.view'])
    const adding = await client
      .patch(`/api/v1/roles/${withinToken.body().data.id}`)
      .bearerToken(adminToken)
      .json({ permissions: ['chatbots.view', 'billing.manage'] })
    adding.assertStatus(403)
    assert.equal(adding.body().error_code, 'PRIVILEGE_ESCALATION')
    assert.deepEqual(await grantRows(withinToken.body().data.id), ['chatbots.view'])

    const keeping = await client
      .patch(`/api/v1/roles/${finance.id}`)
      .bearerToken(adminToken)
      .json({ name: 'Finance team', permissions: ['billing.manage'] })
    keeping.assertStatus(200)
    assert.deepEqual(keeping.body().data.permissions, ['billing.manage'])
  })

  test('updates name, description and permissions in one go, audited before/after', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const role = await customRole(organization, 'Support', ['chatbots.view', 'conversations.view'])
    const holder = await memberWithRole(organization, role)

    const response = await client
      .patch(`/api/v1/roles/${role.id}`)
      .bearerToken(await tokenFor(owner, organization))
      .json({
        name: 'Support Agents',
        description: 'First line',
        permissions: ['conversations.reply', 'conversations.view'],
      })

    response.assertStatus(200)
    const updated = response.body().data
    assert.equal(updated.name, 'Support Agents')
    assert.equal(updated.slug, 'support')
    assert.equal(updated.description, 'First line')
    assert.deepEqual(updated.permissions, ['conversations.view', 'conversations.reply'])
    assert.deepEqual(await grantRows(role.id), ['conversations.reply', 'conversations.view'])

    const audit = await findAuditOrFail('action', 'role.updated')
    assert.equal(audit.subjectId, String(role.id))
    assert.deepEqual(audit.changes, {
      before: {
        name: 'Support',
        description: null,
        permissions: ['chatbots.view', 'conversations.view'],
      },
      after: {
        name: 'Support Agents',
        description: 'First line',
        permissions: ['conversations.view', 'conversations.reply'],
      },
    })

    // Holders of the role get the new permissions on their next request.
    const me = await client.get('/api/v1/auth/me').bearerToken(await tokenFor(holder, organization))
    assert.sameMembers(me.body().data.permissions, ['conversations.view', 'conversations.reply'])

    const cleared = await client
      .patch(`/api/v1/roles/${role.id}`)
      .bearerToken(await tokenFor(owner, organization))
      .json({ description: null })
    cleared.assertStatus(200)
    assert.isNull(cleared.body().data.description)
    assert.equal(cleared.body().data.name, 'Support Agents')

    const invalid = await client
      .patch(`/api/v1/roles/${role.id}`)
      .bearerToken(await tokenFor(owner, organization))
      .json({ permissions: [] })
    invalid.assertStatus(422)
    assert.deepEqual(await grantRows(role.id), ['conversations.reply', 'conversations.view'])
  })

  test('built-in roles are read-only', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    const admin = await TenantContext.run(organization.id, () => Role.findByOrFail('slug', 'admin'))

    const patched = await client
      .patch(`/api/v1/roles/${admin.id}`)
      .bearerToken(token)
      .json({ name: 'Boss', permissions: ['chatbots.view'] })
    patched.assertStatus(403)
    assert.equal(patched.body().error_code, 'SYSTEM_ROLE_READ_ONLY')

    const deleted = await client.delete(`/api/v1/roles/${admin.id}`).bearerToken(token)
    deleted.assertStatus(403)
    assert.equal(deleted.body().error_code, 'SYSTEM_ROLE_READ_ONLY')

    const row = await roleRow(admin.id)
    assert.equal(row.name, 'Admin')
    assert.lengthOf(await grantRows(admin.id), 0)

    const me = await client.get('/api/v1/auth/me').bearerToken(token)
    assert.deepEqual(me.body().data.permissions, SYSTEM_ROLE_PERMISSIONS.owner)
  })

  test('a role in use cannot be deleted; an unused one is, audited', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)

    const held = await customRole(organization, 'Held', ['chatbots.view'])
    const holder = await memberWithRole(organization, held)
    const byMember = await client.delete(`/api/v1/roles/${held.id}`).bearerToken(token)
    byMember.assertStatus(409)
    assert.equal(byMember.body().error_code, 'ROLE_IN_USE')
    assert.include(byMember.body().message, '1 member')
    assert.isNotNull(await roleRow(held.id))

    const invited = await customRole(organization, 'Invited', ['chatbots.view'])
    await inviteWithRole(organization, invited)
    await inviteWithRole(organization, invited)
    const byInvitation = await client.delete(`/api/v1/roles/${invited.id}`).bearerToken(token)
    byInvitation.assertStatus(409)
    assert.equal(byInvitation.body().error_code, 'ROLE_IN_USE')
    assert.include(byInvitation.body().message, '2 pending invitations')
    assert.deepEqual(await grantRows(invited.id), ['chatbots.view'])

    // Once its holder moves to another role, it can go; accepted
    // invitations are history and go with it.
    await inviteWithRole(organization, held, DateTime.utc())
    const viewer = await TenantContext.run(organization.id, () =>
      Role.findByOrFail('slug', 'viewer')
    )
    await TenantContext.run(organization.id, () =>
      Membership.query().where('user_id', holder.id).update({ role_id: viewer.id })
    )
    const deleted = await client.delete(`/api/v1/roles/${held.id}`).bearerToken(token)
    deleted.assertStatus(200)
    assert.isNull(await roleRow(held.id))
    assert.lengthOf(await grantRows(held.id), 0)
    assert.lengthOf(await db.from('invitations').where('role_id', held.id), 0)

    const audit = await findAuditOrFail('action', 'role.deleted')
    assert.equal(audit.subjectId, String(held.id))
    assert.deepEqual(audit.changes, {
      id: held.id,
      slug: 'held',
      name: 'Held',
      description: null,
      permissions: ['chatbots.view'],
    })
  })

  test("another organization's roles answer 404 and stay unchanged", async ({ client, assert }) => {
    const { organization, owner } = await createOrganization('Acme')
    const { organization: other } = await createOrganization('Globex')
    const foreign = await customRole(other, 'Globex Support', ['chatbots.view'])
    const token = await tokenFor(owner, organization)

    const patched = await client
      .patch(`/api/v1/roles/${foreign.id}`)
      .bearerToken(token)
      .json({ name: 'Stolen', permissions: ['chatbots.manage'] })
    patched.assertStatus(404)
    assert.equal(patched.body().error_code, 'NOT_FOUND')

    const deleted = await client.delete(`/api/v1/roles/${foreign.id}`).bearerToken(token)
    deleted.assertStatus(404)
    assert.equal(deleted.body().message, 'Resource not found')

    const row = await roleRow(foreign.id)
    assert.equal(row.name, 'Globex Support')
    assert.deepEqual(await grantRows(foreign.id), ['chatbots.view'])

    for (const id of ['999999999', 'abc', '1e3', '123456789012345678901']) {
      const response = await client.delete(`/api/v1/roles/${id}`).bearerToken(token)
      response.assertStatus(404)
    }
    const audits = await auditQuery().where('action', 'role.deleted')
    assert.lengthOf(audits, 0)
  })

  test('ids, tenancy, the system flag and slugs cannot be mass-assigned', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization('Acme')
    const { organization: other } = await createOrganization('Globex')
    const token = await tokenFor(owner, organization)

    const created = await client
      .post('/api/v1/roles')
      .bearerToken(token)
      .json({
        id: 999_999,
        organization_id: other.id,
        is_system: true,
        slug: 'owner',
        created_at: '2000-01-01T00:00:00Z',
        name: 'Support',
        permissions: ['chatbots.view'],
      })
    created.assertStatus(201)
    const role = created.body().data
    assert.notEqual(role.id, 999_999)
    assert.equal(role.slug, 'support')
    assert.isFalse(role.is_system)
    const row = await roleRow(role.id)
    assert.equal(row.organization_id, organization.id)
    assert.isFalse(Boolean(row.is_system))

    const patched = await client
      .patch(`/api/v1/roles/${role.id}`)
      .bearerToken(token)
      .json({ id: 1, organization_id: other.id, is_system: true, slug: 'admin', name: 'Support' })
    patched.assertStatus(200)
    const after = await roleRow(role.id)
    assert.equal(after.organization_id, organization.id)
    assert.equal(after.slug, 'support')
    assert.isFalse(Boolean(after.is_system))
    assert.lengthOf(await db.from('roles').where('slug', 'admin'), 1)
  })
})
