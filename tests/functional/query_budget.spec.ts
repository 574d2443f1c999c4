import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { createOrganization, tokenFor } from '#tests/helpers/identity'
import { statementsDuring } from '#tests/helpers/queries'
import { AuthCache } from '#support/auth_cache'

test.group('Query budget of an authenticated API request', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('token and user in one query, organization, membership and role in another', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    // The first use records `last_used_at` (at most once a minute): not part of the budget.
    await client.get('/api/v1/organization').bearerToken(token)

    // Cold: nothing cached (auth_cache.spec.ts holds the warm path to no identity statement).
    AuthCache.flushLocal()
    let status = 0
    const statements = await statementsDuring(async () => {
      const response = await client.get('/api/v1/organization').bearerToken(token)
      status = response.status()
    })
    assert.equal(status, 200)
    const identity = statements.filter((sql) =>
      /access_tokens|"users"|`users`|memberships|roles/.test(sql)
    )
    assert.lengthOf(identity, 2, `identity and tenant statements:\n${identity.join('\n')}`)
    assert.isAtMost(statements.length, 3, `all statements:\n${statements.join('\n')}`)
  })

  test('a list answers in three statements cold: identity, tenant, and the page with its total', async ({
    client,
    assert,
  }) => {
    const { organization, owner } = await createOrganization()
    const token = await tokenFor(owner, organization)
    for (const name of ['First', 'Second', 'Third']) {
      const created = await client.post('/api/v1/chatbots').bearerToken(token).json({ name })
      created.assertStatus(201)
    }
    const list = (page: number) =>
      client.get(`/api/v1/chatbots?per_page=2&page=${page}`).bearerToken(token)

    let first = await list(1)
    AuthCache.flushLocal()
    const statements = await statementsDuring(async () => {
      first = await list(1)
    })
    first.assertStatus(200)
    assert.lengthOf(first.body().data, 2)
    assert.equal(first.body().meta.total, 3)
    assert.lengthOf(statements, 3, `all statements:\n${statements.join('\n')}`)

    // The last page carries the total too; a page past the end counts separately.
    const second = await list(2)
    assert.lengthOf(second.body().data, 1)
    assert.equal(second.body().meta.total, 3)
    const beyond = await list(5)
    beyond.assertStatus(200)
    assert.lengthOf(beyond.body().data, 0)
    assert.equal(beyond.body().meta.total, 3)
    assert.notProperty(first.body().data[0], 'parley_page_total')
  })
})
