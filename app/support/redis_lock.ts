import { randomUUID } from 'node:crypto'
import redis from '@adonisjs/redis/services/main'
import env from '#start/env'

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`
const EXTEND = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end`

/**
 * A lock held in Redis by one process at a time, for `ttlMs` unless
 * renewed: a holder that dies frees it when the TTL runs out. While held,
 * it renews itself at a third of its TTL. Keys share the queue prefix so
 * parallel test runs and environments stay apart.
 */
export class RedisLock {
  readonly #key: string
  readonly #owner = randomUUID()
  #timer: NodeJS.Timeout | null = null

  constructor(
    name: string,
    readonly ttlMs: number
  ) {
    this.#key = `${env.get('QUEUE_PREFIX', 'parley')}:lock:${name}`
  }

  /**
   * Takes the lock if it is free; true when this instance now holds it.
   */
  async acquire() {
    const taken = await redis.set(this.#key, this.#owner, 'PX', this.ttlMs, 'NX')
    if (taken !== 'OK') return false
    this.#timer = setInterval(
      () => {
        redis.eval(EXTEND, 1, this.#key, this.#owner, String(this.ttlMs)).catch(() => {})
      },
      Math.max(100, Math.floor(this.ttlMs / 3))
    )
    this.#timer.unref()
    return true
  }

  /**
   * Frees the lock, if this instance still holds it.
   */
  async release() {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
    await redis.eval(RELEASE, 1, this.#key, this.#owner)
  }
}
