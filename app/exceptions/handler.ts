import app from '@adonisjs/core/services/app'
import { errors as vineErrors } from '@vinejs/vine'
import { HttpContext, ExceptionHandler } from '@adonisjs/core/http'
import type { StatusPageRange, StatusPageRenderer } from '@adonisjs/core/types/http'
import ApiException from '#exceptions/api_exception'
import AuditService from '#services/audit_service'
import { errorEnvelope, errorCodeForStatus, type FieldError } from '#support/envelope'

type DescribedError = {
  status: number
  code: string
  message: string
  errors?: FieldError[]
  headers?: Record<string, string | number>
}

const INTERNAL_ERROR_MESSAGE =
  'Something went wrong on our side. Try again; if it keeps failing, contact support with the request id.'

/**
 * Turns any error into what the client is told: a status, a stable error
 * code and a message that is safe to show. 5xx never expose internals.
 */
export function describeError(error: any, ctx: HttpContext): DescribedError {
  if (error instanceof ApiException) {
    return { status: error.status, code: error.errorCode, message: error.message }
  }

  if (error instanceof vineErrors.E_VALIDATION_ERROR) {
    const fieldErrors = (error.messages as FieldError[]).map(({ field, rule, message }) => ({
      field,
      rule,
      message,
    }))
    return {
      status: 422,
      code: 'VALIDATION_ERROR',
      message: 'The request has invalid fields: correct them and try again.',
      errors: fieldErrors,
    }
  }

  switch (error?.code) {
    case 'E_ROUTE_NOT_FOUND':
      return {
        status: 404,
        code: 'NOT_FOUND',
        message: `No route matches ${ctx.request.method()} ${ctx.request.url()}`,
      }
    case 'E_ROW_NOT_FOUND':
      return { status: 404, code: 'NOT_FOUND', message: 'Resource not found' }
    case 'E_UNAUTHORIZED_ACCESS':
      return {
        status: 401,
        code: 'UNAUTHENTICATED',
        message: 'Authentication required: sign in or send a valid access token.',
      }
    case 'E_INVALID_CREDENTIALS':
      return {
        status: 401,
        code: 'INVALID_CREDENTIALS',
        message: 'Email or password is incorrect.',
      }
    case 'E_AUTHORIZATION_FAILURE':
      return error.status === 404
        ? { status: 404, code: 'NOT_FOUND', message: 'Resource not found' }
        : {
            status: 403,
            code: 'FORBIDDEN',
            // Policies deny with a message naming the missing permission.
            message:
              error.response?.message && error.response.message !== 'Access denied'
                ? error.response.message
                : 'You are not allowed to do this.',
          }
    case 'E_TOO_MANY_REQUESTS':
      return {
        status: 429,
        code: 'TOO_MANY_REQUESTS',
        message: `Too many requests: retry in ${error.response.availableIn} seconds.`,
        headers: error.getDefaultHeaders(),
      }
    case 'E_REQUEST_ENTITY_TOO_LARGE':
      return {
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
        message: 'The request body is larger than this endpoint accepts.',
      }
    case 'E_BAD_CSRF_TOKEN':
      return {
        status: 403,
        code: 'CSRF_TOKEN_MISMATCH',
        message: 'The form expired or was sent from elsewhere: reload the page and try again.',
      }
  }

  /**
   * The JSON body parser re-throws JSON.parse's SyntaxError with status 400.
   */
  if (error instanceof SyntaxError && error.status === 400) {
    return { status: 400, code: 'BAD_REQUEST', message: 'The request body is not valid JSON.' }
  }

  const status = Number(error?.status)
  if (status >= 400 && status < 500) {
    return {
      status,
      code: errorCodeForStatus(status),
      message: error.message || 'Bad request',
    }
  }

  return { status: 500, code: 'INTERNAL_ERROR', message: INTERNAL_ERROR_MESSAGE }
}

/**
 * Form fields never echoed back into the session's old input.
 */
const SECRET_INPUTS = [
  '_csrf',
  '_method',
  'password',
  'password_confirmation',
  'current_password',
  'confirm',
  // The chatbot form's provider secrets
  'providers.openai.api_key',
  'providers.webhook.secret',
]

/**
 * `/api/*`, and console requests made by scripts that ask for JSON (fetch,
 * htmx with Accept: application/json), get the error envelope; browsers
 * navigating the console get pages, redirects and flash messages.
 */
export function wantsEnvelope(ctx: HttpContext) {
  const url = ctx.request.url()
  if (url === '/api' || url.startsWith('/api/')) return true
  // A client that sends JSON is a script, whatever it accepts.
  if (ctx.request.is(['json']) === 'json') return true
  return ctx.request.accepts(['html', 'json']) === 'json'
}

export default class HttpExceptionHandler extends ExceptionHandler {
  /**
   * Youch's detailed error page helps in development only.
   */
  protected debug = app.inDev

  /**
   * Console pages get friendly error pages for these statuses.
   */
  protected renderStatusPages = true

  protected statusPages: Record<StatusPageRange, StatusPageRenderer> = {
    '403': (_, { view }) => view.render('pages/errors/forbidden'),
    '404': (_, { view }) => view.render('pages/errors/not_found'),
    ...(app.inDev
      ? {}
      : {
          '500..599': (_: unknown, { view, request }: HttpContext) =>
            view.render('pages/errors/server_error', { requestId: request.id() }),
        }),
  }

  /**
   * A console form with invalid fields goes back to itself with the inline
   * errors and the input typed so far, minus every secret field.
   */
  async renderValidationErrorAsHTML(error: any, ctx: HttpContext) {
    if (!('session' in ctx) || !ctx.session) return super.renderValidationErrorAsHTML(error, ctx)
    ctx.session.flashValidationErrors(error)
    ctx.session.flashExcept(SECRET_INPUTS)
    ctx.session.flash('error', 'Some fields need correcting: see the messages below.')
    ctx.response.redirect('back', true)
  }

  async handle(error: unknown, ctx: HttpContext) {
    if (error instanceof ApiException) await AuditService.recordRefusal(ctx, error)

    if (wantsEnvelope(ctx)) {
      const described = describeError(error, ctx)
      for (const [name, value] of Object.entries(described.headers ?? {})) {
        ctx.response.header(name, value)
      }
      return ctx.response
        .status(described.status)
        .send(errorEnvelope(ctx, described.message, described.code, described.errors))
    }

    /**
     * A console form refused by a service (last owner, taken slug, too many
     * attempts…): back to the form with the reason, so console controllers
     * never catch what the API controllers let through.
     */
    const refused = error as { code?: string }
    const isRefusal = error instanceof ApiException || refused?.code === 'E_TOO_MANY_REQUESTS'
    if (isRefusal && ctx.request.method() !== 'GET' && 'session' in ctx && ctx.session) {
      // Bouncer denials (no access to the action at all) get the 403 page
      // below; a service's 403 is about what this form asked for.
      const { status, message } = describeError(error, ctx)
      if (status !== 404) {
        ctx.session.flashExcept(SECRET_INPUTS)
        ctx.session.flash('error', message)
        return ctx.response.redirect().withQs().back()
      }
    }

    /**
     * A list page link whose cursor is not valid (edited, truncated, from
     * another list): that list's first page, filters kept, with the reason,
     * as invalid filters go back to the form.
     */
    if (
      error instanceof ApiException &&
      error.errorCode === 'BAD_CURSOR' &&
      'session' in ctx &&
      ctx.session
    ) {
      const { cursor, before, ...kept } = ctx.request.qs()
      ctx.session.flash('error', 'This page link is not valid: here is the first page instead.')
      return ctx.response.redirect().withQs(kept).toPath(ctx.request.url())
    }

    /**
     * A form posted without a valid CSRF token (expired page, or sent from
     * another site) is refused with a 403 page that says how to recover.
     */
    if (refused?.code === 'E_BAD_CSRF_TOKEN') {
      return ctx.response
        .status(403)
        .send(await ctx.view.render('pages/errors/forbidden', { reason: 'csrf' }))
    }

    /**
     * Bouncer answers denials itself; console users get our pages instead
     * (404 when a policy hides that the record exists).
     */
    const denied = error as { code?: string; status?: number }
    if (denied?.code === 'E_AUTHORIZATION_FAILURE') {
      const page = denied.status === 404 ? 'pages/errors/not_found' : 'pages/errors/forbidden'
      return ctx.response
        .status(denied.status === 404 ? 404 : 403)
        .send(await ctx.view.render(page))
    }

    return super.handle(error, ctx)
  }
}

declare global {
  interface SyntaxError {
    status?: number
  }
}
