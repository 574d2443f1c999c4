import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import env from '#start/env'
import ApiException from '#exceptions/api_exception'
import PublicChatService from '#services/public_chat_service'
import { PUBLIC_KEY } from '#validators/public_chat'

const PUBLIC_API = '/api/v1/public/'
const TRANSMIT = /^\/__transmit\/(?:events|subscribe|unsubscribe)$/
const CHATBOT_PATH = /^\/api\/v1\/public\/chatbots\/([^/]+)\//
const CONVERSATION_PATH = /^\/api\/v1\/public\/conversations\/(\d{1,18})\//

const ALLOW_METHODS = 'GET, POST, OPTIONS'
const ALLOW_HEADERS = 'Content-Type, Authorization, X-Visitor-Token, X-Request-Id'
const EXPOSE_HEADERS =
  'Retry-After, X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset'
const PREFLIGHT_MAX_AGE = 600

/**
 * `scheme://host[:port]` of an http(s) URL, default port left out; null
 * for anything else (including the `null` origin of sandboxed frames).
 */
function originOf(value: string | undefined) {
  if (!value) return null
  try {
    const url = new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : null
  } catch {
    return null
  }
}

const appOrigin = originOf(env.get('APP_URL'))

/**
 * Parley's own pages: the origin of APP_URL, or the host the request was
 * sent to (a same-origin request, whatever APP_URL says).
 */
function isOwnOrigin(ctx: HttpContext, origin: string) {
  return origin === appOrigin || new URL(origin).host === ctx.request.host()
}

/**
 * Whether the chatbot the public URL names lists `origin` in its allowed
 * origins.
 */
async function allowedByChatbot(path: string, origin: string) {
  const key = CHATBOT_PATH.exec(path)?.[1]
  const conversationId = CONVERSATION_PATH.exec(path)?.[1]
  const origins =
    key && PUBLIC_KEY.test(key)
      ? await PublicChatService.allowedOrigins({ key })
      : conversationId
        ? await PublicChatService.allowedOrigins({ conversationId })
        : []
  return origins.some((allowed) => originOf(allowed) === origin)
}

/**
 * Cross-origin access (CORS) to what browsers call from other sites: the
 * public chat API and the Transmit (SSE) routes. A server middleware, as
 * preflight OPTIONS requests match no route.
 * - Public chat API: a request with an `Origin` must come from Parley's own
 *   origin or one of the chatbot's `allowed_origins` (empty: Parley's own
 *   only). Others get 403 ORIGIN_NOT_ALLOWED before any route runs, so
 *   nothing is written. Requests without `Origin` (server to server) pass.
 * - Transmit: any origin, without credentials: channels are authorized by
 *   the visitor token (or a member's API token). A cross-origin request's
 *   cookies are dropped, so a member's console session never subscribes a
 *   channel for another site.
 * Credentials are never allowed: the widget authenticates with headers.
 */
export default class PublicCorsMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const path = ctx.request.url()
    const isPublic = path.startsWith(PUBLIC_API)
    const isTransmit = TRANSMIT.test(path)
    if (!isPublic && !isTransmit) return next()

    const preflight = ctx.request.method() === 'OPTIONS'
    const header = ctx.request.header('origin')
    if (isPublic) ctx.response.append('Vary', 'Origin')
    if (header === undefined) {
      return preflight ? ctx.response.header('Allow', ALLOW_METHODS).noContent() : next()
    }

    const origin = originOf(header)
    const own = origin !== null && isOwnOrigin(ctx, origin)
    if (isPublic && !own && !(origin && (await allowedByChatbot(path, origin)))) {
      throw new ApiException(
        "This website may not use this chatbot: add its origin to the chatbot's allowed origins.",
        'ORIGIN_NOT_ALLOWED',
        403
      )
    }

    ctx.response.header('Access-Control-Allow-Origin', isPublic ? header : '*')
    if (preflight) {
      return ctx.response
        .header('Access-Control-Allow-Methods', ALLOW_METHODS)
        .header('Access-Control-Allow-Headers', ALLOW_HEADERS)
        .header('Access-Control-Max-Age', PREFLIGHT_MAX_AGE)
        .noContent()
    }
    ctx.response.header('Access-Control-Expose-Headers', EXPOSE_HEADERS)
    if (isTransmit && !own) delete ctx.request.request.headers.cookie
    return next()
  }
}
