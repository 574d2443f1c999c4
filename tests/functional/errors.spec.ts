import { test } from '@japa/runner'

/**
 * Every error on /api answers with the error envelope and a stable code.
 */
function assertErrorEnvelope(assert: any, body: any, code: string) {
  assert.properties(body, ['success', 'message', 'error_code', 'timestamp', 'request_id'])
  assert.isFalse(body.success)
  assert.equal(body.error_code, code)
  assert.isString(body.message)
  assert.isNotEmpty(body.message)
  assert.notProperty(body, 'stack')
  assert.notProperty(body, 'data')
}

test.group('API errors', () => {
  test('an unknown /api route answers a 404 envelope', async ({ client, assert }) => {
    const response = await client.get('/api/v1/nope')

    response.assertStatus(404)
    assertErrorEnvelope(assert, response.body(), 'NOT_FOUND')
    assert.equal(response.body().request_id, response.header('x-request-id'))
  })

  test('malformed JSON answers a 400 envelope', async ({ client, assert }) => {
    const response = await client
      .post('/api/__fixtures/echo')
      .type('application/json')
      .unsafeJson('{"name": ')

    response.assertStatus(400)
    assertErrorEnvelope(assert, response.body(), 'BAD_REQUEST')
  })

  test('a body over the limit answers a 413 envelope', async ({ client, assert }) => {
    const response = await client
      .post('/api/__fixtures/echo')
      .json({ blob: 'x'.repeat(1.2 * 1024 * 1024) })

    response.assertStatus(413)
    assertErrorEnvelope(assert, response.body(), 'PAYLOAD_TOO_LARGE')
  })

  test('a thrown error answers a 500 envelope without stack or internals', async ({
    client,
    assert,
  }) => {
    const response = await client.get('/api/__fixtures/boom')

    response.assertStatus(500)
    assertErrorEnvelope(assert, response.body(), 'INTERNAL_ERROR')
    const raw = JSON.stringify(response.body())
    assert.notInclude(raw, 'hunter2')
    assert.notInclude(raw, 'fixture_controller')
    assert.notInclude(raw, 'at ')
  })

  test('invalid fields answer 422 with one entry per field', async ({ client, assert }) => {
    const response = await client
      .post('/api/__fixtures/validated')
      .json({ name: 'A', email: 'nope' })

    response.assertStatus(422)
    assertErrorEnvelope(assert, response.body(), 'VALIDATION_ERROR')
    const errors = response.body().errors as { field: string; rule: string; message: string }[]
    assert.sameDeepMembers(
      errors.map(({ field, rule }) => ({ field, rule })),
      [
        { field: 'name', rule: 'minLength' },
        { field: 'email', rule: 'email' },
      ]
    )
    errors.forEach((error) =>
      assert.deepEqual(Object.keys(error).sort(), ['field', 'message', 'rule'])
    )
  })

  test('valid input passes and unknown fields are dropped', async ({ client }) => {
    const response = await client
      .post('/api/__fixtures/validated')
      .json({ name: ' Ada ', email: 'ada@example.com', is_super_admin: true })

    response.assertStatus(200)
    response.assertBody({
      ...response.body(),
      data: { name: 'Ada', email: 'ada@example.com' },
    })
  })

  test('too many requests answer 429 with Retry-After', async ({ client, assert }) => {
    await client.get('/api/__fixtures/throttled')
    await client.get('/api/__fixtures/throttled')
    const response = await client.get('/api/__fixtures/throttled')

    response.assertStatus(429)
    assertErrorEnvelope(assert, response.body(), 'TOO_MANY_REQUESTS')
    assert.isAbove(Number(response.header('retry-after')), 0)
  })

  test('errorWithLog answers its own status and code', async ({ client, assert }) => {
    const response = await client.post('/api/__fixtures/audited-error').json({})

    response.assertStatus(409)
    assertErrorEnvelope(assert, response.body(), 'FIXTURE_LOCKED')
  })
})

test.group('Console error pages', () => {
  test('an unknown page renders the friendly 404 page', async ({ client, assert }) => {
    const response = await client.get('/no/such/page').accept('html')

    response.assertStatus(404)
    assert.include(response.header('content-type'), 'text/html')
    assert.include(response.text(), 'Page not found')
  })

  test('a crashing page renders the friendly 500 page with the request id', async ({
    client,
    assert,
  }) => {
    const response = await client
      .get('/__fixtures/boom')
      .accept('html')
      .header('x-request-id', 'trace-page-500')

    response.assertStatus(500)
    assert.include(response.text(), 'Something went wrong on our side')
    assert.include(response.text(), 'trace-page-500')
    assert.notInclude(response.text(), 'hunter2')
  })
})
