import { test } from '@japa/runner'
import { redis } from '@adonisjs/transmit/transports'
import env from '#start/env'
import { PublishOnlyTransport } from '#support/publish_only_transport'
import { waitFor } from '#tests/helpers/wait_for'

const connection = () =>
  redis({
    host: env.get('REDIS_HOST'),
    port: env.get('REDIS_PORT'),
    password: env.get('REDIS_PASSWORD') || undefined,
  })()

test.group('Realtime transport of processes without event streams', () => {
  test('publishes to the web processes but never receives their broadcasts', async ({
    assert,
    cleanup,
  }) => {
    const channel = `${env.get('QUEUE_PREFIX', 'parley')}:transport-test:${Date.now()}`
    const web = connection().setId('web')
    const worker = new PublishOnlyTransport(connection()).setId('worker')
    cleanup(async () => {
      await Promise.all([web.disconnect(), worker.disconnect()])
    })

    const heardByWeb: unknown[] = []
    const heardByWorker: unknown[] = []
    await web.subscribe(channel, (message: unknown) => void heardByWeb.push(message))
    await worker.subscribe(channel, (message: unknown) => void heardByWorker.push(message))
    // The subscription is confirmed asynchronously: publish until it is.
    await waitFor(async () => {
      await worker.publish(channel, { from: 'worker' })
      return heardByWeb.length > 0
    })
    await web.publish(channel, { from: 'web' })
    await new Promise((resolve) => setTimeout(resolve, 200))

    assert.deepEqual(heardByWeb[0], { from: 'worker' })
    assert.deepEqual(heardByWorker, [])
  })
})
