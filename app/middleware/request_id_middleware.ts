import { randomUUID } from 'node:crypto'
import logger from '@adonisjs/core/services/logger'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'

/**
 * A client may send its own correlation id; we keep it only when it is a
 * safe token, so it can never inject into logs or headers.
 */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._-]{8,128}$/

export function resolveRequestId(clientId: string | string[] | undefined): string {
  return typeof clientId === 'string' && SAFE_REQUEST_ID.test(clientId) ? clientId : randomUUID()
}

/**
 * Gives every request an id: echoed as `X-Request-Id`, carried by every log
 * line of the request (see the mixin in config/logger.ts), by the envelope
 * and by audit entries.
 * It runs first so that even errors and unknown routes carry the id.
 */
export default class RequestIdMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const startedAt = process.hrtime.bigint()
    const requestId = resolveRequestId(ctx.request.request.headers['x-request-id'])

    ctx.request.request.headers['x-request-id'] = requestId
    ctx.response.header('X-Request-Id', requestId)
    // The framework's child logger may carry the unchecked client header;
    // the logger's mixin adds the resolved id to every line instead.
    ctx.logger = logger.use()
    ctx.startedAt = startedAt

    await next()

    ctx.logger.info(
      {
        method: ctx.request.method(),
        url: ctx.request.url(),
        status: ctx.response.getStatus(),
        duration_ms: Number(process.hrtime.bigint() - startedAt) / 1e6,
      },
      'request completed'
    )
  }
}

declare module '@adonisjs/core/http' {
  interface HttpContext {
    /** High-resolution start of the request, for durations in logs and audit rows. */
    startedAt: bigint
  }
}
