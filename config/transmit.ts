import app from '@adonisjs/core/services/app'
import env from '#start/env'
import { defineConfig } from '@adonisjs/transmit'
import { redis } from '@adonisjs/transmit/transports'
import { PublishOnlyTransport } from '#support/publish_only_transport'

const transport = redis({
  host: env.get('REDIS_HOST'),
  port: env.get('REDIS_PORT'),
  password: env.get('REDIS_PASSWORD') || undefined,
  db: env.get('REDIS_DB', 0),
  // The events of one reply (message created, updated, conversation
  // updated) leave in one write instead of one per PUBLISH.
  enableAutoPipelining: true,
})

/**
 * Server-sent events. The Redis transport carries every broadcast to every
 * process, so an event sent by a worker (a reply stored) reaches the
 * browsers connected to any web process. Processes without event streams
 * (workers and other ace commands) only publish. Pub/sub channels ignore
 * Redis database numbers: the channel carries the queue prefix to keep
 * environments (and parallel test runs) apart.
 */
export default defineConfig({
  pingInterval: '30s',
  transport: {
    driver: () =>
      app.getEnvironment() === 'console' ? new PublishOnlyTransport(transport()) : transport(),
    channel: `${env.get('QUEUE_PREFIX', 'parley')}:transmit`,
  },
})
