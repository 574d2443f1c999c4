import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import redis from '@adonisjs/redis/services/main'
import testUtils from '@adonisjs/core/services/test_utils'
import Role from '#models/role'
import Membership from '#models/membership'
import Organization from '#models/organization'
import { AUTH_CACHE_CHANNEL, AuthCache } from '#support/auth_cache'
import { TenantContext } from '#support/tenant_context'
import { addMember, createOrganization, tokenFor } from '#tests/helpers/identity'
import { waitFor } from '#tests/helpers/wait_for'
import { statementsDuring } from '#tests/helpers/queries'

const IDENTITY = /access_tokens|"users"|`users`|memberships|roles|organizations/

test.group('Auth cache', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('a token used again within the TTL reads neither token nor tenant', async ({
    client,
    assert,
  }) => {
    assert.isTrue(AuthCache.active, 'the test process is subscribed')
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    ;(await client.get('/api/v1/organization').bearerToken(token)).assertStatus(200)

    let status = 0
    const statements = await statementsDuring(async () => {
      status = (await client.get('/api/v1/chatbots').bearerToken(token)).status()
    })
    assert.equal(status, 200)
    assert.deepEqual(
      statements.filter((sql) => IDENTITY.test(sql)),
      [],
      `statements:\n${statements.join('\n')}`
    )
    assert.lengthOf(statements, 1, `the page and its total only:\n${statements.join('\n')}`)
  })

  test('revoking a token through the API refuses it on the very next request', async ({
    client,
  }) => {
    const { organization, owner } = await createOrganization()
    const admin = await tokenFor(owner, organization)
    const victim = await tokenFor(owner, organization)
    ;(await client.get('/api/v1/organization').bearerToken(victim)).assertStatus(200)

    // `prl_<id, base64url>.<secret>`
    const victimId = Buffer.from(victim.slice(4).split('.')[0], 'base64url').toString()
    ;(await client.delete(`/api/v1/tokens/${victimId}`).bearerToken(admin)).assertStatus(200)

    const after = await client.get('/api/v1/organization').bearerToken(victim)
    after.assertStatus(401)
  })

  test('a disabled member, a changed role and a suspended organization apply at once', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const member = await addMember(organization, 'admin')
    const ownerToken = await tokenFor(owner, organization)
    const memberToken = await tokenFor(member, organization)

    // Cached as an admin: may create chatbots.
    ;(await client.get('/api/v1/chatbots').bearerToken(memberToken)).assertStatus(200)

    // Role changed to viewer through the API: creating is refused right away.
    const viewer = await TenantContext.run(organization.id, () =>
      Role.query().where('slug', 'viewer').whereNull('organization_id').firstOrFail()
    )
    const membership = await TenantContext.run(organization.id, () =>
      Membership.query().where('user_id', member.id).firstOrFail()
    )
    ;(
      await client
        .patch(`/api/v1/users/${membership.id}`)
        .bearerToken(ownerToken)
        .json({ role_id: viewer.id })
    ).assertStatus(200)
    const create = await client
      .post('/api/v1/chatbots')
      .bearerToken(memberToken)
      .json({ name: 'Not allowed' })
    create.assertStatus(403)

    // Disabled: every request refused.
    ;(
      await client
        .patch(`/api/v1/users/${membership.id}`)
        .bearerToken(ownerToken)
        .json({ status: 'disabled' })
    ).assertStatus(200)
    const disabled = await client.get('/api/v1/chatbots').bearerToken(memberToken)
    assert.oneOf(disabled.status(), [401, 403])

    // The organization suspended (a platform action saved through the model).
    ;(await client.get('/api/v1/organization').bearerToken(ownerToken)).assertStatus(200)
    const row = await Organization.findOrFail(organization.id)
    row.status = 'suspended'
    await row.save()
    const suspended = await client.get('/api/v1/organization').bearerToken(ownerToken)
    suspended.assertStatus(403)
    assert.equal(suspended.body().error_code, 'ORGANIZATION_SUSPENDED')
  })

  test('a flush published by another process empties this one', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    ;(await client.get('/api/v1/organization').bearerToken(token)).assertStatus(200)

    // Another process deleted the token without this one knowing (no model hook ran here):
    // the cached entry still answers...
    await db.from('access_tokens').where('user_id', owner.id).delete()
    ;(await client.get('/api/v1/organization').bearerToken(token)).assertStatus(200)

    // ...until that process announces the change, as its services do.
    const publisher = redis.connection().ioConnection.duplicate()
    try {
      await publisher.publish(AUTH_CACHE_CHANNEL, 'other-process')
    } finally {
      publisher.disconnect()
    }
    await waitFor(
      async () => (await client.get('/api/v1/organization').bearerToken(token)).status() === 401,
      5000
    )
    assert.isTrue(AuthCache.active)
  })

  test('without its subscription the process does not cache at all', async ({ client, assert }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    // The subscriber connection ends (as when Redis stays away past its retries).
    redis.connection().ioSubscriberConnection!.disconnect()
    await waitFor(() => !AuthCache.active, 5000)
    ;(await client.get('/api/v1/organization').bearerToken(token)).assertStatus(200)
    await db.from('access_tokens').where('user_id', owner.id).delete()
    // No flush could reach this process: it reads the database, so the deletion applies.
    ;(await client.get('/api/v1/organization').bearerToken(token)).assertStatus(401)

    // It subscribes again on its own and caches from then on.
    await waitFor(() => AuthCache.active, 5000)
    assert.isTrue(AuthCache.active)
  })
})
