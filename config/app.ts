import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { Secret } from '@adonisjs/core/helpers'
import { defineConfig } from '@adonisjs/core/http'

/**
 * The app key encrypts cookies, signed URLs and encrypted columns. Keep it
 * secret; rotating it invalidates sessions and signed links.
 */
export const appKey = new Secret(env.get('APP_KEY'))

/**
 * HTTP server settings.
 */
export const http = defineConfig({
  // RequestIdMiddleware assigns ids (validating client-sent ones).
  generateRequestId: false,
  allowMethodSpoofing: true,

  /**
   * Request-scoped context (request id, tenant, actor) is carried with
   * AsyncLocalStorage so services, loggers and jobs dispatched from a
   * request can read it without passing it around.
   */
  useAsyncLocalStorage: true,

  cookie: {
    domain: '',
    path: '/',
    maxAge: '2h',
    httpOnly: true,
    secure: app.inProduction,
    sameSite: 'lax',
  },
})
