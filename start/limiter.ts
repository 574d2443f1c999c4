/*
|--------------------------------------------------------------------------
| HTTP throttles
|--------------------------------------------------------------------------
|
| Named rate limits applied per route group; over the limit a request
| answers 429 TOO_MANY_REQUESTS with Retry-After.
*/
import limiter from '@adonisjs/limiter/services/main'

/**
 * /api/health touches the database, Redis and the disk: generous for
 * monitors, bounded against abuse (per client ip).
 */
export const healthThrottle = limiter.define('health', () =>
  limiter.allowRequests(120).every('1 minute')
)

/**
 * Sign-ups per client ip.
 */
export const registerThrottle = limiter.define('register', (ctx) =>
  limiter
    .allowRequests(10)
    .every('1 hour')
    .blockFor('1 hour')
    .usingKey(`register:${ctx.request.ip()}`)
)
