import { test } from '@japa/runner'
import { resolveRequestId } from '#middleware/request_id_middleware'

test.group('resolveRequestId', () => {
  test('keeps a safe client id', ({ assert }) => {
    assert.equal(resolveRequestId('client-Trace_1.2'), 'client-Trace_1.2')
    assert.equal(resolveRequestId('a'.repeat(128)), 'a'.repeat(128))
  })

  test('replaces unsafe, short, long or repeated ids with a generated one', ({ assert }) => {
    for (const unsafe of [
      'short',
      'a'.repeat(129),
      'has space inside',
      'evil\nlog-line',
      'semi;colon!',
      '',
    ]) {
      const id = resolveRequestId(unsafe)
      assert.notEqual(id, unsafe)
      assert.match(id, /^[0-9a-f-]{36}$/)
    }
    assert.match(resolveRequestId(['abcdefgh1', 'abcdefgh2']), /^[0-9a-f-]{36}$/)
    assert.match(resolveRequestId(undefined), /^[0-9a-f-]{36}$/)
  })
})
