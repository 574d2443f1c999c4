import redis from '@adonisjs/redis/services/main'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import env from '#start/env'

/**
 * Every process that hears this forgets what it cached (see AuthCache).
 * Pub/sub ignores Redis database numbers: the channel carries it, so apps
 * sharing a Redis server on different databases do not flush each other.
 */
export const AUTH_CACHE_CHANNEL = `parley:auth-cache:flush:${env.get('REDIS_DB', 0)}`

const MAX_ENTRIES = 10_000
const RESUBSCRIBE_AFTER_MS = 1_000

type Entry<V> = { value: V; expiresAt: number }

/**
 * A bounded map whose entries expire: the oldest entry goes first when full.
 */
class ExpiringMap<V> {
  #entries = new Map<string, Entry<V>>()

  get(key: string): V | undefined {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    if (entry.expiresAt <= Date.now()) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.value
  }

  set(key: string, value: V, ttlMs: number) {
    this.#entries.delete(key)
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
    this.#entries.set(key, { value, expiresAt: Date.now() + ttlMs })
  }

  clear() {
    this.#entries.clear()
  }

  get size() {
    return this.#entries.size
  }
}

/**
 * Who a request is, cached in the process for a few seconds: the access
 * token with its owner, and the organization, membership and role a user
 * acts with. Every API request needs both; reading them each time was two
 * of its three statements (bench/README.md).
 *
 * Safe by construction:
 * - any change to tokens, users, organizations, memberships or roles
 *   (the `GuardsAccess` model mixin, and `invalidate()` where rows are
 *   changed in bulk) empties the cache of every process at once, through
 *   Redis pub/sub, and again once the change's transaction commits;
 * - a process only uses the cache while its subscription is live: with
 *   Redis unreachable it reads the database every time, so it can never
 *   miss a revocation;
 * - a value read while a flush happened is not kept (generation check);
 * - entries live `AUTH_CACHE_TTL_MS` at most (0 turns the cache off).
 * Rows are cached, never model instances: each request builds its own.
 */
class AuthCacheStore {
  readonly tokens = new ExpiringMap<unknown>()
  readonly tenants = new ExpiringMap<unknown>()
  readonly ttlMs = env.get('AUTH_CACHE_TTL_MS', 10_000)
  #generation = 0
  #listening = false
  #started = false
  #subscribed = false

  /** Whether lookups are served from the cache (subscribed and not turned off). */
  get active() {
    return this.ttlMs > 0 && this.#listening
  }

  /**
   * The value cached under `key`, or `load()`'s (kept when not null and no
   * flush happened while it loaded).
   */
  async remember<V>(
    map: ExpiringMap<unknown>,
    key: string,
    load: () => Promise<V | null>
  ): Promise<V | null> {
    if (!this.active) return load()
    const cached = map.get(key)
    if (cached !== undefined) return cached as V
    const generation = this.#generation
    const value = await load()
    if (value !== null && generation === this.#generation && this.active) {
      map.set(key, value, this.ttlMs)
    }
    return value
  }

  /** Forgets everything in this process. */
  flushLocal() {
    this.#generation += 1
    this.tokens.clear()
    this.tenants.clear()
  }

  /**
   * After a change that may grant or revoke access: every process forgets
   * now and, when `trx` is given, again once it commits (a request that
   * read the old rows in between must not keep them).
   */
  async invalidate(trx?: TransactionClientContract | null) {
    await this.#flushEverywhere()
    if (trx?.isTransaction) trx.after('commit', () => this.#flushEverywhere())
  }

  async #flushEverywhere() {
    this.flushLocal()
    try {
      await redis.publish(AUTH_CACHE_CHANNEL, String(process.pid))
    } catch (error) {
      // Other processes' entries expire within the TTL; theirs is the same Redis,
      // so while it is down their subscription is down and they do not cache.
      logger.warn({ err: error }, 'auth cache: flush not published')
    }
  }

  /**
   * Subscribes to flushes (web processes; start/auth_cache.ts). Until the
   * subscription is confirmed, and whenever the subscriber connection is
   * lost, the cache is bypassed and emptied. A subscriber connection that
   * gives up (Redis gone for long) is dropped by @adonisjs/redis with its
   * subscriptions: subscribe again on a fresh one a moment later.
   */
  listen() {
    if (this.#started || this.ttlMs <= 0) return
    this.#started = true
    this.#subscribe()
  }

  #subscribe() {
    if (!this.#started) return
    const connection = redis.connection()
    connection.subscribe(AUTH_CACHE_CHANNEL, () => this.flushLocal(), {
      onSubscription: () => {
        this.flushLocal()
        this.#subscribed = true
        this.#listening = true
      },
      onError: (error) => logger.warn({ err: error }, 'auth cache: not subscribed, not caching'),
    })
    const subscriber = connection.ioSubscriberConnection
    subscriber?.on('close', () => {
      this.#listening = false
      this.flushLocal()
    })
    // ioredis subscribes again after a reconnect; flushes sent meanwhile were missed.
    subscriber?.on('ready', () => {
      if (!this.#subscribed) return
      this.flushLocal()
      this.#listening = true
    })
    subscriber?.on('end', () => {
      this.#subscribed = false
      this.#listening = false
      this.flushLocal()
      setTimeout(() => this.#subscribe(), RESUBSCRIBE_AFTER_MS).unref()
    })
  }
}

export const AuthCache = new AuthCacheStore()
