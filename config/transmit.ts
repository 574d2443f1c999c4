import env from '#start/env'
import { defineConfig } from '@adonisjs/transmit'
import { redis } from '@adonisjs/transmit/transports'

/**
 * Server-sent events. The Redis transport carries every broadcast to every
 * process, so an event sent by a worker (a reply stored) reaches the
 * browsers connected to any web process. Pub/sub channels ignore Redis
 * database numbers: the channel carries the queue prefix to keep
 * environments (and parallel test runs) apart.
 */
export default defineConfig({
  pingInterval: '30s',
  transport: {
    driver: redis({
      host: env.get('REDIS_HOST'),
      port: env.get('REDIS_PORT'),
      password: env.get('REDIS_PASSWORD') || undefined,
      db: env.get('REDIS_DB', 0),
    }),
    channel: `${env.get('QUEUE_PREFIX', 'parley')}:transmit`,
  },
})
