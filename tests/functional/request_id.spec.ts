import { readFile } from 'node:fs/promises'
import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import testUtils from '@adonisjs/core/services/test_utils'
import { findAudit } from '#tests/helpers/audit'
import { waitFor } from '#tests/helpers/wait_for'

async function logLinesWith(requestId: string) {
  const content = await readFile(app.tmpPath('logs/test.log'), 'utf8')
  return content
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((line) => line.request_id === requestId)
}

test.group('Request ids', (group) => {
  group.each.setup(() => testUtils.db().withGlobalTransaction())

  test('every response carries X-Request-Id, errors and unknown routes too', async ({
    client,
    assert,
  }) => {
    for (const response of [
      await client.get('/api/ping'),
      await client.get('/api/v1/nope'),
      await client.get('/api/__fixtures/boom'),
      await client.get('/'),
      await client.get('/css/app.css'),
    ]) {
      assert.match(response.header('x-request-id') ?? '', /^[A-Za-z0-9._-]{8,128}$/)
    }
  })

  test('each request gets a different id', async ({ client, assert }) => {
    const first = await client.get('/api/ping')
    const second = await client.get('/api/ping')
    assert.notEqual(first.header('x-request-id'), second.header('x-request-id'))
  })

  test('a valid client id comes back unchanged, in the envelope, audit row and log lines', async ({
    client,
    assert,
  }) => {
    const requestId = 'client.Trace-2026_11_23'
    const response = await client
      .post('/api/__fixtures/audited')
      .header('x-request-id', requestId)
      .json({ a: 1 })

    assert.equal(response.header('x-request-id'), requestId)
    assert.equal(response.body().request_id, requestId)
    assert.isNotNull(await findAudit('request_id', requestId))

    const lines = await waitFor(async () => {
      const found = await logLinesWith(requestId)
      return found.length > 0 ? found : null
    }, 2000)
    assert.isTrue(lines.some((line) => line.msg === 'request completed' && line.status === 201))
  })

  test('an unsafe client id is replaced, never echoed or logged', async ({ client, assert }) => {
    const unsafe = 'bad id with spaces <script>'
    const response = await client.get('/api/ping').header('x-request-id', unsafe)

    assert.notEqual(response.header('x-request-id'), unsafe)
    assert.match(response.header('x-request-id') ?? '', /^[0-9a-f-]{36}$/)
    assert.notInclude(await readFile(app.tmpPath('logs/test.log'), 'utf8'), '<script>')
  })

  test('a failing request logs its error with the request id', async ({ client, assert }) => {
    await client.get('/api/__fixtures/boom').header('x-request-id', 'trace-boom-0001')

    const lines = await logLinesWith('trace-boom-0001')
    assert.isTrue(lines.some((line) => line.level >= 50 && line.err))
    assert.isTrue(lines.some((line) => line.msg === 'request completed' && line.status === 500))
  })
})
