import { setTimeout as sleep } from 'node:timers/promises'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import limiter from '@adonisjs/limiter/services/main'
import testUtils from '@adonisjs/core/services/test_utils'
import env from '#start/env'
import { auditQuery, findAuditOrFail } from '#tests/helpers/audit'
import Organization from '#models/organization'
import { USER_PASSWORD, UserFactory } from '#database/factories/user_factory'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'

const STRONG = 'violet-harbor-lantern-42'

test.group('Auth: register', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())

  test('creates the user, the organization and an owner token', async ({ client, assert }) => {
    const response = await client.post('/api/v1/auth/register').json({
      name: 'Ada Lovelace',
      email: 'Ada@Example.com',
      password: STRONG,
      organization_name: 'Analytical Engines',
      is_super_admin: true,
    })

    response.assertStatus(201)
    const { data } = response.body()
    assert.equal(data.user.email, 'ada@example.com')
    assert.isFalse(data.user.is_super_admin)
    assert.notProperty(data.user, 'password')
    assert.equal(data.organization.slug, 'analytical-engines')
    assert.equal(data.role.slug, 'owner')
    assert.include(data.permissions, 'billing.manage')
    assert.match(data.token.value, /^prl_/)
    assert.isNotNull(data.token.expires_at)

    const me = await client.get('/api/v1/auth/me').bearerToken(data.token.value)
    me.assertStatus(200)
    assert.equal(me.body().data.user.email, 'ada@example.com')

    const audit = await findAuditOrFail('action', 'auth.registered')
    assert.equal(audit.organizationId, data.organization.id)
    assert.equal(audit.actorUserId, data.user.id)
    assert.notInclude(JSON.stringify(audit.changes), STRONG)
  })

  test('refuses weak passwords and taken emails, leaving nothing behind', async ({
    client,
    assert,
  }) => {
    const weak = await client.post('/api/v1/auth/register').json({
      name: 'B',
      email: 'b@example.com',
      password: 'password1234',
      organization_name: 'Bee Co',
    })
    weak.assertStatus(422)
    assert.equal(weak.body().errors[0].field, 'password')
    assert.equal(weak.body().errors[0].rule, 'password_policy')

    const short = await client
      .post('/api/v1/auth/register')
      .json({ name: 'B', email: 'b@example.com', password: 'short', organization_name: 'Bee Co' })
    short.assertStatus(422)

    await UserFactory.merge({ email: 'taken@example.com' }).create()
    const taken = await client.post('/api/v1/auth/register').json({
      name: 'C',
      email: 'TAKEN@example.com',
      password: STRONG,
      organization_name: 'Sea Co',
    })
    taken.assertStatus(409)
    assert.equal(taken.body().error_code, 'EMAIL_TAKEN')

    const organizations = await Organization.query().whereIn('name', ['Bee Co', 'Sea Co'])
    assert.lengthOf(organizations, 0)
  })

  test('can be switched off', async ({ client, assert, cleanup }) => {
    env.set('REGISTRATION_ENABLED', false)
    cleanup(() => env.set('REGISTRATION_ENABLED', true))

    const response = await client
      .post('/api/v1/auth/register')
      .json({ name: 'D', email: 'd@example.com', password: STRONG, organization_name: 'Dee Co' })
    response.assertStatus(403)
    assert.equal(response.body().error_code, 'REGISTRATION_DISABLED')
  })
})

test.group('Auth: login', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())

  test('returns a token bound to the only organization', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()

    const response = await client.post('/api/v1/auth/login').json({
      email: owner.email.toUpperCase(),
      password: USER_PASSWORD,
      token_name: 'CLI',
      expires_in: '30d',
    })

    response.assertStatus(200)
    const { data } = response.body()
    assert.equal(data.organization.id, organization.id)
    assert.equal(data.token.name, 'CLI')
    const days = (Date.parse(data.token.expires_at) - Date.now()) / 86_400_000
    assert.closeTo(days, 30, 0.1)

    const audit = await findAuditOrFail('action', 'auth.login')
    assert.equal(audit.actorUserId, owner.id)
    assert.equal(audit.organizationId, organization.id)
    assert.notInclude(JSON.stringify(audit.changes), USER_PASSWORD)
  })

  test('asks which organization when the user has several', async ({ client, assert }) => {
    const { organization: first, owner } = await createOrganization('First Org')
    const { organization: second } = await createOrganization('Second Org')
    await addMember(second, 'viewer', owner)

    const ambiguous = await client
      .post('/api/v1/auth/login')
      .json({ email: owner.email, password: USER_PASSWORD })
    ambiguous.assertStatus(422)
    assert.equal(ambiguous.body().error_code, 'ORGANIZATION_REQUIRED')
    assert.include(ambiguous.body().message, first.slug)
    assert.include(ambiguous.body().message, second.slug)

    const chosen = await client
      .post('/api/v1/auth/login')
      .json({ email: owner.email, password: USER_PASSWORD, organization: second.slug })
    chosen.assertStatus(200)
    assert.equal(chosen.body().data.organization.id, second.id)
    assert.equal(chosen.body().data.role.slug, 'viewer')
  })

  test('a wrong password is a 401 and an audited failure without secrets', async ({
    client,
    assert,
  }) => {
    const { owner } = await createOrganization()

    const response = await client
      .post('/api/v1/auth/login')
      .header('x-request-id', 'login-failure-0001')
      .json({ email: owner.email, password: 'not-the-password-123' })

    response.assertStatus(401)
    assert.equal(response.body().error_code, 'INVALID_CREDENTIALS')
    const audit = await findAuditOrFail('request_id', 'login-failure-0001')
    assert.equal(audit.action, 'auth.login_failed')
    assert.equal(audit.status, 'error')
    assert.deepEqual(audit.changes, { email: owner.email })
    assert.notInclude(JSON.stringify(await db.from('audit_logs')), 'not-the-password-123')

    const unknown = await client
      .post('/api/v1/auth/login')
      .json({ email: 'ghost@example.com', password: 'whatever-123456' })
    unknown.assertStatus(401)
    assert.equal(unknown.body().message, response.body().message)
  })

  test('refuses abilities outside the catalogue', async ({ client, assert }) => {
    const { owner } = await createOrganization()
    const response = await client
      .post('/api/v1/auth/login')
      .json({ email: owner.email, password: USER_PASSWORD, abilities: ['chatbots.view', 'root'] })
    response.assertStatus(422)
    assert.equal(response.body().errors[0].field, 'abilities.1')
  })

  test('the 6th attempt in a minute for one ip and email gets 429', async ({ client, assert }) => {
    const { owner } = await createOrganization()
    for (let attempt = 0; attempt < 5; attempt++) {
      const failed = await client
        .post('/api/v1/auth/login')
        .json({ email: owner.email, password: 'wrong-password-1' })
      failed.assertStatus(401)
    }

    const blocked = await client
      .post('/api/v1/auth/login')
      .json({ email: owner.email, password: USER_PASSWORD })
    blocked.assertStatus(429)
    assert.equal(blocked.body().error_code, 'TOO_MANY_REQUESTS')
    assert.isAbove(Number(blocked.header('retry-after')), 0)

    const otherIp = await client
      .post('/api/v1/auth/login')
      .header('x-forwarded-for', '203.0.113.9')
      .json({ email: owner.email, password: USER_PASSWORD })
    otherIp.assertStatus(200)
  })

  test('101 failures in an hour from rotating ips lock the account', async ({ client, assert }) => {
    const { owner } = await createOrganization()
    for (let attempt = 0; attempt < 100; attempt++) {
      await client
        .post('/api/v1/auth/login')
        .header('x-forwarded-for', `198.51.100.${attempt}`)
        .json({ email: owner.email, password: 'wrong-password-1' })
    }

    const locked = await client
      .post('/api/v1/auth/login')
      .header('x-forwarded-for', '192.0.2.200')
      .json({ email: owner.email, password: USER_PASSWORD })
    locked.assertStatus(429)
    assert.equal(locked.body().error_code, 'TOO_MANY_REQUESTS')
    const failures = await auditQuery().where('action', 'auth.login_failed').count('* as total')
    assert.equal(Number(failures[0].$extras.total), 100)
  }).timeout(120_000)
})

test.group('Auth: tokens', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())
  group.each.setup(() => limiter.clear())

  test('expired, revoked and malformed tokens get 401', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()

    const expired = await tokenFor(owner, organization, { expiresIn: 1 })
    await sleep(1100)
    const expiredResponse = await client.get('/api/v1/auth/me').bearerToken(expired)
    expiredResponse.assertStatus(401)
    assert.equal(expiredResponse.body().error_code, 'UNAUTHENTICATED')

    const revoked = await tokenFor(owner, organization)
    const logout = await client.post('/api/v1/auth/logout').bearerToken(revoked)
    logout.assertStatus(200)
    const afterLogout = await client.get('/api/v1/auth/me').bearerToken(revoked)
    afterLogout.assertStatus(401)

    for (const malformed of [
      'prl_',
      'prl_abc',
      'oat_MQ.secret',
      'prl_MQ.wrong-secret',
      'Bearer',
      'x'.repeat(500),
    ]) {
      const response = await client.get('/api/v1/auth/me').bearerToken(malformed)
      response.assertStatus(401)
    }
    const anonymous = await client.get('/api/v1/auth/me')
    anonymous.assertStatus(401)
  }).timeout(20_000)

  test('tokens of a suspended organization get 403 ORGANIZATION_SUSPENDED', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    organization.status = 'suspended'
    await organization.save()

    const response = await client.get('/api/v1/organization').bearerToken(token)
    response.assertStatus(403)
    assert.equal(response.body().error_code, 'ORGANIZATION_SUSPENDED')
  })

  test('a removed or disabled member loses access', async ({ client, assert }) => {
    const { organization } = await createOrganization()
    const agent = await addMember(organization, 'agent')
    const token = await tokenFor(agent, organization)
    agent.status = 'disabled'
    await agent.save()

    const response = await client.get('/api/v1/organization').bearerToken(token)
    response.assertStatus(403)
    assert.equal(response.body().error_code, 'ACCOUNT_DISABLED')
  })
})

test.group('Organization API', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('members read their organization; managers rename it, audited', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)

    const shown = await client.get('/api/v1/organization').bearerToken(token)
    shown.assertStatus(200)
    assert.equal(shown.body().data.slug, organization.slug)

    const updated = await client
      .patch('/api/v1/organization')
      .bearerToken(token)
      .json({ name: 'Acme Global', slug: 'acme-global' })
    updated.assertStatus(200)
    assert.equal(updated.body().data.name, 'Acme Global')

    const audit = await findAuditOrFail('action', 'organization.updated')
    assert.equal(audit.organizationId, organization.id)
    assert.equal(audit.actorUserId, owner.id)
    assert.isNotNull(audit.actorTokenId)
    assert.deepEqual((audit.changes as any).before, {
      name: 'Acme Support',
      slug: organization.slug,
    })
  })

  test('a viewer cannot rename; a token without the ability cannot either', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const viewer = await addMember(organization, 'viewer')

    const asViewer = await client
      .patch('/api/v1/organization')
      .bearerToken(await tokenFor(viewer, organization))
      .json({ name: 'Hijacked' })
    asViewer.assertStatus(403)
    assert.equal(asViewer.body().error_code, 'FORBIDDEN')
    assert.include(asViewer.body().message, 'organization.manage')

    const narrowToken = await tokenFor(owner, organization, { abilities: ['members.view'] })
    const narrow = await client
      .patch('/api/v1/organization')
      .bearerToken(narrowToken)
      .json({ name: 'Hijacked' })
    narrow.assertStatus(403)

    await organization.refresh()
    assert.equal(organization.name, 'Acme Support')
  })

  test('ids, tenancy, status and timestamps cannot be mass-assigned', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const before = await Organization.findOrFail(organization.id)

    const response = await client
      .patch('/api/v1/organization')
      .bearerToken(await tokenFor(owner, organization))
      .json({
        id: 999,
        organization_id: 999,
        status: 'suspended',
        plan: 'enterprise',
        is_super_admin: true,
        created_at: '2000-01-01T00:00:00Z',
        deleted_at: '2000-01-01T00:00:00Z',
      })
    response.assertStatus(200)

    const after = await Organization.findOrFail(organization.id)
    assert.equal(after.status, 'active')
    assert.equal(after.plan, before.plan)
    assert.equal(after.createdAt.toISO(), before.createdAt.toISO())
    assert.isNull(after.deletedAt)
    const owners = await db.from('users').where('id', owner.id).first()
    assert.isFalse(Boolean(owners.is_super_admin))
  })

  test('duplicate slugs and bad input are refused', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const { organization: other } = await createOrganization('Other Org')
    const token = await tokenFor(owner, organization)

    const duplicate = await client
      .patch('/api/v1/organization')
      .bearerToken(token)
      .json({ slug: other.slug })
    duplicate.assertStatus(409)
    assert.equal(duplicate.body().error_code, 'SLUG_TAKEN')

    const invalid = await client
      .patch('/api/v1/organization')
      .bearerToken(token)
      .json({ slug: 'Not A Slug!', name: 'x' })
    invalid.assertStatus(422)
    assert.sameMembers(
      invalid.body().errors.map((error: any) => error.field),
      ['slug', 'name']
    )
  })
})
