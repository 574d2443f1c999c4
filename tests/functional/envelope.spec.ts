import { test } from '@japa/runner'

test.group('Envelope', () => {
  test('a success answers the envelope of DESIGN.md', async ({ client, assert }) => {
    const response = await client.get('/api/ping')

    response.assertStatus(200)
    const body = response.body()
    assert.deepEqual(Object.keys(body).sort(), [
      'data',
      'message',
      'meta',
      'request_id',
      'success',
      'timestamp',
    ])
    assert.isTrue(body.success)
    assert.deepEqual(body.data, { status: 'ok' })
    assert.isNull(body.meta)
    assert.isFalse(Number.isNaN(Date.parse(body.timestamp)))
    assert.equal(body.request_id, response.header('x-request-id'))
  })

  test('API responses set no cookies', async ({ client, assert }) => {
    const response = await client.get('/api/ping')
    assert.isUndefined(response.header('set-cookie'))
  })

  test('paginated lists carry page, per_page, total and last_page', async ({ client, assert }) => {
    const response = await client.get('/api/__fixtures/list').qs({ page: 3, per_page: 40 })

    response.assertStatus(200)
    assert.deepEqual(response.body().meta, { page: 3, per_page: 40, total: 250, last_page: 7 })
    assert.lengthOf(response.body().data, 40)
    assert.equal(response.body().data[0].id, 81)
  })

  test('per_page is capped at 100 and defaults to 20', async ({ client, assert }) => {
    const capped = await client.get('/api/__fixtures/list').qs({ per_page: 1000 })
    assert.equal(capped.body().meta.per_page, 100)
    assert.lengthOf(capped.body().data, 100)

    const defaults = await client.get('/api/__fixtures/list')
    assert.deepEqual(defaults.body().meta, { page: 1, per_page: 20, total: 250, last_page: 13 })
  })

  test('a page past the end is empty, a nonsense page is a 422', async ({ client, assert }) => {
    const past = await client.get('/api/__fixtures/list').qs({ page: 99 })
    assert.deepEqual(past.body().data, [])

    const nonsense = await client.get('/api/__fixtures/list').qs({ page: 'abc' })
    nonsense.assertStatus(422)
    assert.equal(nonsense.body().errors[0].field, 'page')
  })
})
