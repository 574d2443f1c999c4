import { test } from '@japa/runner'
test('smoke', ({ assert }) => {
  assert.equal(1, 1)
})
