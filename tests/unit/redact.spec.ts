import { test } from '@japa/runner'
import { redact, REDACTED } from '#support/redact'

test.group('redact', () => {
  test('removes secret keys at any depth, in objects and arrays', ({ assert }) => {
    const result = redact({
      name: 'Ada',
      password: 'hunter2',
      profile: { apiKey: 'k-1', api_key: 'k-2', nested: { client_secret: 's', ok: 1 } },
      headers: { Authorization: 'Bearer abc', cookie: 'sid=1', accept: 'json' },
      items: [{ token: 't' }, { refresh_token: 'r', label: 'x' }],
      payment: { credit_card: '4111111111111111', card_number: '4242', cvv: '123' },
    })

    assert.deepEqual(result, {
      name: 'Ada',
      password: REDACTED,
      profile: { apiKey: REDACTED, api_key: REDACTED, nested: { client_secret: REDACTED, ok: 1 } },
      headers: { Authorization: REDACTED, cookie: REDACTED, accept: 'json' },
      items: [{ token: REDACTED }, { refresh_token: REDACTED, label: 'x' }],
      payment: { credit_card: REDACTED, card_number: REDACTED, cvv: REDACTED },
    })
  })

  test('bounds depth and string length', ({ assert }) => {
    let deep: Record<string, unknown> = { leaf: true }
    for (let level = 0; level < 20; level++) deep = { child: deep }
    const serialized = JSON.stringify(redact(deep))
    assert.include(serialized, '[truncated]')
    assert.notInclude(serialized, 'leaf')

    const long = redact('x'.repeat(5000)) as string
    assert.isBelow(long.length, 2100)
  })

  test('keeps scalars and turns dates into ISO strings', ({ assert }) => {
    assert.deepEqual(redact({ at: new Date('2026-01-02T03:04:05Z'), n: 3, b: false, z: null }), {
      at: '2026-01-02T03:04:05.000Z',
      n: 3,
      b: false,
      z: null,
    })
  })
})
