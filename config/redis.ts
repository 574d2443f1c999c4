import env from '#start/env'
import { defineConfig } from '@adonisjs/redis'
import { InferConnections } from '@adonisjs/redis/types'

/**
 * One Redis server backs cache, rate limits, SSE fan-out and locks (this
 * connection) and the queues (config/queue.ts opens its own connections to
 * the same server). `REDIS_DB` keeps the test suite apart from development.
 */
const redisConfig = defineConfig({
  connection: 'main',

  connections: {
    main: {
      host: env.get('REDIS_HOST'),
      port: env.get('REDIS_PORT'),
      password: env.get('REDIS_PASSWORD', ''),
      db: env.get('REDIS_DB', 0),
      keyPrefix: '',
      /**
       * Commands issued in the same tick (a job's lock, counters and the
       * other jobs' of a busy worker) leave in one write: on a virtual
       * machine a socket write is a costly system call.
       */
      enableAutoPipelining: true,
      /**
       * Give up after a few quick retries so a dead Redis surfaces as an error
       * (health answers 503) instead of requests hanging forever.
       */
      retryStrategy(times) {
        return times > 10 ? null : times * 50
      },
    },
  },
})

export default redisConfig

declare module '@adonisjs/redis/types' {
  export interface RedisConnections extends InferConnections<typeof redisConfig> {}
}
