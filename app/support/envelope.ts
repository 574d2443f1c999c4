import { DateTime } from 'luxon'
import type { HttpContext } from '@adonisjs/core/http'

/**
 * The one response shape of every `/api` route (see DESIGN.md, Envelope).
 * Built only here: BaseController and the exception handler both call it.
 */
export type FieldError = { field: string; rule: string; message: string }

export type SuccessEnvelope<T = unknown> = {
  success: true
  message: string
  data: T
  meta: Record<string, unknown> | null
  timestamp: string
  request_id: string
}

export type ErrorEnvelope = {
  success: false
  message: string
  error_code: string
  errors?: FieldError[]
  timestamp: string
  request_id: string
}

export function successEnvelope<T>(
  ctx: HttpContext,
  data: T,
  message: string,
  meta: Record<string, unknown> | null = null
): SuccessEnvelope<T> {
  return {
    success: true,
    message,
    data,
    meta,
    timestamp: DateTime.utc().toISO(),
    request_id: ctx.request.id() ?? '',
  }
}

export function errorEnvelope(
  ctx: HttpContext,
  message: string,
  errorCode: string,
  errors?: FieldError[]
): ErrorEnvelope {
  return {
    success: false,
    message,
    error_code: errorCode,
    ...(errors ? { errors } : {}),
    timestamp: DateTime.utc().toISO(),
    request_id: ctx.request.id() ?? '',
  }
}

const CODES_BY_STATUS: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'VALIDATION_ERROR',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
}

/**
 * The stable `error_code` for a status when nothing more specific applies.
 */
export function errorCodeForStatus(status: number) {
  return CODES_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST')
}

/**
 * Sends an envelope as JSON. `JSON.stringify` is several times faster than
 * the response's own cycle-safe serializer on list pages (bench/README.md);
 * envelopes are plain data, so the fallback is only for a value it cannot
 * write (a cycle, a BigInt).
 */
export function sendEnvelope(ctx: HttpContext, status: number, envelope: object) {
  let body: string
  try {
    body = JSON.stringify(envelope)
  } catch {
    return ctx.response.status(status).send(envelope)
  }
  ctx.response.header('Content-Type', 'application/json; charset=utf-8')
  return ctx.response.status(status).send(body)
}
