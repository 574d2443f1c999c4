import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { createOrganization, tokenFor } from '#tests/helpers/identity'

/**
 * The SQL statements the database connection runs while `work` does
 * (knex's `query` event, also fired for statements inside transactions).
 */
async function statementsDuring(work: () => Promise<unknown>) {
  const statements: string[] = []
  const client = db.connection().getWriteClient().client
  const listener = (query: { sql: string }) => statements.push(query.sql)
  client.on('query', listener)
  try {
    await work()
  } finally {
    client.off('query', listener)
  }
  return statements
}

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
})
