import { test } from '@japa/runner'
import redis from '@adonisjs/redis/services/main'
import { FinishedJobCounter } from '#support/worker_heartbeat'
import { queueKeys } from '#support/queue_keys'

test.group('Finished-job counts of the queue monitor', () => {
  test('gather in memory and are written together, with their expiry', async ({
    assert,
    cleanup,
  }) => {
    const organizationId = 900_000 + Math.floor(Math.random() * 99_999)
    const key = queueKeys.organizationMinute(Math.floor(Date.now() / 60_000))
    cleanup(async () => {
      await redis.hdel(key, `${organizationId}:high:completed`, `${organizationId}:high:failed`)
    })
    const counter = new FinishedJobCounter()
    for (let index = 0; index < 3; index++) counter.count('high', organizationId, 'completed')
    counter.count('high', organizationId, 'failed')
    assert.isNull(await redis.hget(key, `${organizationId}:high:completed`), 'not written yet')

    await counter.stop()
    assert.equal(await redis.hget(key, `${organizationId}:high:completed`), '3')
    assert.equal(await redis.hget(key, `${organizationId}:high:failed`), '1')
    assert.isAbove(await redis.ttl(key), 7000)

    // Written once: a second flush adds nothing.
    await counter.flush()
    assert.equal(await redis.hget(key, `${organizationId}:high:completed`), '3')
  })
})
