import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import User from '#models/user'
import type Organization from '#models/organization'
import { findAuditOrFail } from '#tests/helpers/audit'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'

const DAY = 86_400_000

/**
 * A token made the way the API makes them, with its id and plain value.
 */
async function issue(
  user: User,
  organization: Organization,
  abilities: string[] = ['*'],
  name = 'test'
) {
  const token = await User.accessTokens.create(user, abilities, {
    organizationId: organization.id,
    name,
  })
  return { id: Number(token.identifier), value: token.value!.release() }
}

async function tokenRow(id: number) {
  return db.from('access_tokens').where('id', id).first()
}

test.group('Tokens API: create', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('any member creates a token for themselves: shown once, works, audited', async ({
    client,
    assert,
  }) => {
    const { organization } = await createOrganization()
    const agent = await addMember(organization, 'agent')

    const response = await client
      .post('/api/v1/tokens')
      .bearerToken(await tokenFor(agent, organization))
      .json({ name: 'Inbox bot', abilities: ['conversations.view'], expires_in: '30d' })

    response.assertStatus(201)
    const created = response.body().data
    assert.match(created.value, /^prl_/)
    assert.equal(created.type, 'bearer')
    assert.equal(created.name, 'Inbox bot')
    assert.deepEqual(created.abilities, ['conversations.view'])
    assert.closeTo((Date.parse(created.expires_at) - Date.now()) / DAY, 30, 0.01)

    const row = await tokenRow(created.id)
    assert.equal(row.user_id, agent.id)
    assert.equal(row.organization_id, organization.id)
    assert.notInclude(row.hash, created.value)

    const me = await client.get('/api/v1/auth/me').bearerToken(created.value)
    me.assertStatus(200)
    assert.equal(me.body().data.user.id, agent.id)
    assert.deepEqual(me.body().data.permissions, ['conversations.view'])

    const audit = await findAuditOrFail('action', 'token.created')
    assert.equal(audit.organizationId, organization.id)
    assert.equal(audit.actorUserId, agent.id)
    assert.equal(audit.subjectId, String(created.id))
    assert.deepEqual((audit.changes as any).abilities, ['conversations.view'])
    const stored = JSON.stringify(await db.from('audit_logs'))
    assert.notInclude(stored, created.value)
    assert.notInclude(stored, created.value.slice(4))
  })

  test('expiry defaults to 90 days; never and seconds are accepted', async ({ client, assert }) => {
    const { organization } = await createOrganization()
    const viewer = await addMember(organization, 'viewer')
    const token = await tokenFor(viewer, organization)
    const create = (body: Record<string, unknown>) =>
      client
        .post('/api/v1/tokens')
        .bearerToken(token)
        .json({ name: 'Reports', ...body })

    const byDefault = await create({})
    byDefault.assertStatus(201)
    assert.deepEqual(byDefault.body().data.abilities, ['*'])
    assert.closeTo((Date.parse(byDefault.body().data.expires_at) - Date.now()) / DAY, 90, 0.01)

    const forever = await create({ expires_in: 'never' })
    forever.assertStatus(201)
    assert.isNull(forever.body().data.expires_at)
    assert.isNull((await tokenRow(forever.body().data.id)).expires_at)

    const hour = await create({ expires_in: '3600' })
    hour.assertStatus(201)
    assert.closeTo((Date.parse(hour.body().data.expires_at) - Date.now()) / 1000, 3600, 30)

    const weeks = await create({ expires_in: '2 weeks' })
    assert.closeTo((Date.parse(weeks.body().data.expires_at) - Date.now()) / DAY, 14, 0.01)
  })

  test('refuses invalid fields with 422 and creates nothing', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    const cases: [Record<string, unknown>, string, string][] = [
      [{}, 'name', 'required'],
      [{ name: 'x'.repeat(101) }, 'name', 'maxLength'],
      [{ name: 'Root', abilities: ['root'] }, 'abilities.0', 'ability'],
      [{ name: 'None', abilities: [] }, 'abilities', 'array.minLength'],
      [{ name: 'Soon', expires_in: 'soon' }, 'expires_in', 'regex'],
      [{ name: 'Zero', expires_in: '0' }, 'expires_in', 'duration'],
      [{ name: 'Zero days', expires_in: '0d' }, 'expires_in', 'duration'],
    ]

    for (const [body, field, rule] of cases) {
      const response = await client.post('/api/v1/tokens').bearerToken(token).json(body)
      response.assertStatus(422)
      assert.deepInclude(
        response.body().errors.map((error: { field: string; rule: string }) => ({
          field: error.field,
          rule: error.rule,
        })),
        { field, rule },
        JSON.stringify(body)
      )
    }
    const rows = await db.from('access_tokens').where('user_id', owner.id)
    assert.lengthOf(rows, 1)
  })

  test("abilities cannot exceed the creator's own permissions", async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const agent = await addMember(organization, 'agent')

    const beyondRole = await client
      .post('/api/v1/tokens')
      .bearerToken(await tokenFor(agent, organization))
      .json({ name: 'Builder', abilities: ['chatbots.view', 'chatbots.manage'] })
    beyondRole.assertStatus(403)
    assert.equal(beyondRole.body().error_code, 'PRIVILEGE_ESCALATION')
    assert.include(beyondRole.body().message, 'chatbots.manage')

    const narrow = await tokenFor(owner, organization, { abilities: ['chatbots.view'] })
    const star = await client
      .post('/api/v1/tokens')
      .bearerToken(narrow)
      .json({ name: 'Everything' })
    star.assertStatus(403)
    assert.equal(star.body().error_code, 'PRIVILEGE_ESCALATION')

    const beyondToken = await client
      .post('/api/v1/tokens')
      .bearerToken(narrow)
      .json({ name: 'Billing', abilities: ['billing.manage'] })
    beyondToken.assertStatus(403)

    const within = await client
      .post('/api/v1/tokens')
      .bearerToken(narrow)
      .json({ name: 'Reader', abilities: ['chatbots.view'] })
    within.assertStatus(201)

    const rows = await db.from('access_tokens').where('user_id', owner.id)
    assert.lengthOf(rows, 2)
  })

  test('ids, users and organizations cannot be mass-assigned', async ({ client, assert }) => {
    const { organization } = await createOrganization('Acme')
    const { organization: other, owner: otherOwner } = await createOrganization('Globex')
    const agent = await addMember(organization, 'agent')

    const response = await client
      .post('/api/v1/tokens')
      .bearerToken(await tokenFor(agent, organization))
      .json({
        id: 999_999,
        user_id: otherOwner.id,
        organization_id: other.id,
        hash: 'chosen',
        type: 'admin',
        last_used_at: '2000-01-01T00:00:00Z',
        name: 'Mine',
        abilities: ['chatbots.view'],
      })

    response.assertStatus(201)
    const row = await tokenRow(response.body().data.id)
    assert.notEqual(row.id, 999_999)
    assert.equal(row.user_id, agent.id)
    assert.equal(row.organization_id, organization.id)
    assert.equal(row.type, 'api')
    assert.notEqual(row.hash, 'chosen')
    assert.isNull(row.last_used_at)
  })
})

test.group('Tokens API: list and revoke', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test("members list their own tokens; tokens.manage lists everyone's", async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization('Acme')
    const { organization: other, owner: otherOwner } = await createOrganization('Globex')
    const agent = await addMember(organization, 'agent')
    const admin = await addMember(organization, 'admin')
    const agentCurrent = await issue(agent, organization, ['*'], 'laptop')
    const agentOther = await issue(agent, organization, ['conversations.view'], 'ci')
    const ownerToken = await issue(owner, organization)
    const adminCurrent = await issue(admin, organization)
    const foreign = await issue(otherOwner, other)

    const own = await client.get('/api/v1/tokens').bearerToken(agentCurrent.value)
    own.assertStatus(200)
    const mine = own.body().data
    assert.sameMembers(
      mine.map((token: { id: number }) => token.id),
      [agentCurrent.id, agentOther.id]
    )
    const current = mine.find((token: { id: number }) => token.id === agentCurrent.id)
    assert.isTrue(current.is_current)
    assert.isFalse(mine.find((token: { id: number }) => token.id === agentOther.id).is_current)
    assert.deepEqual(current.user, { id: agent.id, name: agent.name, email: agent.email })
    assert.sameMembers(Object.keys(current), [
      'id',
      'name',
      'abilities',
      'user',
      'last_used_at',
      'expires_at',
      'created_at',
      'is_current',
    ])
    assert.isNotNull(current.last_used_at)
    assert.notInclude(JSON.stringify(own.body()), agentOther.value.slice(4))

    const all = await client.get('/api/v1/tokens').bearerToken(adminCurrent.value)
    all.assertStatus(200)
    const ids = all.body().data.map((token: { id: number }) => token.id)
    assert.includeMembers(ids, [agentCurrent.id, agentOther.id, ownerToken.id, adminCurrent.id])
    assert.notInclude(ids, foreign.id)
    assert.equal(all.body().meta.total, ids.length)

    const paged = await client
      .get('/api/v1/tokens?per_page=1&page=2')
      .bearerToken(agentCurrent.value)
    assert.lengthOf(paged.body().data, 1)
    assert.deepEqual(paged.body().meta, { page: 2, per_page: 1, total: 2, last_page: 2 })

    // A token without tokens.manage sees only its user's tokens.
    const narrowAdmin = await issue(admin, organization, ['members.view'])
    const narrowed = await client.get('/api/v1/tokens').bearerToken(narrowAdmin.value)
    assert.sameMembers(
      narrowed.body().data.map((token: { id: number }) => token.id),
      [adminCurrent.id, narrowAdmin.id]
    )
  })

  test('a revoked token stops working; revoking is audited without the value', async ({
    client,
    assert,
  }) => {
    const { organization } = await createOrganization()
    const agent = await addMember(organization, 'agent')
    const current = await issue(agent, organization)
    const spare = await issue(agent, organization, ['*'], 'spare')
    ;(await client.get('/api/v1/auth/me').bearerToken(spare.value)).assertStatus(200)

    const revoked = await client.delete(`/api/v1/tokens/${spare.id}`).bearerToken(current.value)
    revoked.assertStatus(200)
    assert.isNull(await tokenRow(spare.id))

    const afterwards = await client.get('/api/v1/auth/me').bearerToken(spare.value)
    afterwards.assertStatus(401)
    assert.equal(afterwards.body().error_code, 'UNAUTHENTICATED')

    const audit = await findAuditOrFail('action', 'token.revoked')
    assert.equal(audit.subjectId, String(spare.id))
    assert.equal(audit.actorUserId, agent.id)
    assert.equal(audit.actorTokenId, current.id)
    assert.deepEqual(audit.changes, { name: 'spare', user_id: agent.id, abilities: ['*'] })
    assert.notInclude(JSON.stringify(await db.from('audit_logs')), spare.value.slice(4))

    // Revoking the token in use is allowed, like logging out.
    const self = await client.delete(`/api/v1/tokens/${current.id}`).bearerToken(current.value)
    self.assertStatus(200)
    ;(await client.get('/api/v1/auth/me').bearerToken(current.value)).assertStatus(401)
  })

  test("revoking another member's token needs tokens.manage", async ({ client, assert }) => {
    const { organization } = await createOrganization()
    const agent = await addMember(organization, 'agent')
    const admin = await addMember(organization, 'admin')
    const agentToken = await issue(agent, organization)
    const adminToken = await issue(admin, organization)

    const byAgent = await client
      .delete(`/api/v1/tokens/${adminToken.id}`)
      .bearerToken(agentToken.value)
    byAgent.assertStatus(403)
    assert.equal(byAgent.body().error_code, 'FORBIDDEN')
    assert.include(byAgent.body().message, 'tokens.manage')
    assert.isNotNull(await tokenRow(adminToken.id))

    const narrowAdmin = await issue(admin, organization, ['members.view'])
    const byNarrow = await client
      .delete(`/api/v1/tokens/${agentToken.id}`)
      .bearerToken(narrowAdmin.value)
    byNarrow.assertStatus(403)
    assert.isNotNull(await tokenRow(agentToken.id))

    const byAdmin = await client
      .delete(`/api/v1/tokens/${agentToken.id}`)
      .bearerToken(adminToken.value)
    byAdmin.assertStatus(200)
    ;(await client.get('/api/v1/auth/me').bearerToken(agentToken.value)).assertStatus(401)
  })

  test("another organization's token ids answer 404 and stay", async ({ client, assert }) => {
    const { organization, owner } = await createOrganization('Acme')
    const { organization: other, owner: otherOwner } = await createOrganization('Globex')
    const ownerToken = await issue(owner, organization)
    const foreign = await issue(otherOwner, other)
    // The same person, member of both: their other organization's token is foreign here too.
    await addMember(other, 'agent', owner)
    const ownForeign = await issue(owner, other)

    for (const id of [foreign.id, ownForeign.id]) {
      const response = await client.delete(`/api/v1/tokens/${id}`).bearerToken(ownerToken.value)
      response.assertStatus(404)
      assert.equal(response.body().error_code, 'NOT_FOUND')
      assert.isNotNull(await tokenRow(id))
    }
    ;(await client.get('/api/v1/auth/me').bearerToken(foreign.value)).assertStatus(200)

    for (const id of ['999999999', 'abc', '123456789012345678901']) {
      const response = await client.delete(`/api/v1/tokens/${id}`).bearerToken(ownerToken.value)
      response.assertStatus(404)
    }
  })
})
