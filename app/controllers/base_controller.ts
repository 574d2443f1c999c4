import type { HttpContext } from '@adonisjs/core/http'
import AuditService, { type AuditInput } from '#services/audit_service'
import {
  errorEnvelope,
  errorCodeForStatus,
  sendEnvelope,
  successEnvelope,
  type FieldError,
} from '#support/envelope'
import { DEFAULT_PER_PAGE, MAX_PER_PAGE, paginationValidator } from '#validators/pagination'

type SuccessOptions = { message?: string; status?: number; meta?: Record<string, unknown> | null }

type LoggedSuccess<T> = Omit<AuditInput, 'status' | 'httpStatus' | 'message' | 'errorCode'> &
  SuccessOptions & { data: T }

type ErrorOptions = { status?: number; code?: string; errors?: FieldError[] }

type LoggedError = Omit<AuditInput, 'status' | 'httpStatus' | 'message' | 'errorCode'> &
  ErrorOptions & { message: string }

type LoggedRedirect = Omit<AuditInput, 'status' | 'httpStatus' | 'message' | 'errorCode'> & {
  message: string
  route?: string
  params?: Record<string, unknown> | unknown[]
  query?: Record<string, unknown>
}

/**
 * Anything `paginated` can present: Lucid's paginators, or rows with counts
 * from a hand-written query.
 */
type PageSource<T> =
  | { all(): T[]; currentPage: number; perPage: number; total: number; lastPage: number }
  | { rows: T[]; page: number; perPage: number; total: number }

/**
 * Every API controller answers through these helpers, so every response has
 * the envelope of DESIGN.md. The `…WithLog` variants also write one audit
 * entry and only respond once it is stored: use them for every state
 * change, auth event, permission change, export/import and billing event.
 */
export default abstract class BaseController {
  protected success<T>(ctx: HttpContext, data: T, options: SuccessOptions = {}) {
    return sendEnvelope(
      ctx,
      options.status ?? 200,
      successEnvelope(ctx, data, options.message ?? 'OK', options.meta ?? null)
    )
  }

  protected async successWithLog<T>(ctx: HttpContext, options: LoggedSuccess<T>) {
    const { data, message = 'OK', status = 200, meta, ...audit } = options
    await AuditService.record(
      AuditService.fromRequest(ctx, { ...audit, status: 'success', httpStatus: status, message })
    )
    return this.success(ctx, data, { message, status, meta })
  }

  protected error(ctx: HttpContext, message: string, options: ErrorOptions = {}) {
    const status = options.status ?? 400
    const code = options.code ?? errorCodeForStatus(status)
    return ctx.response.status(status).send(errorEnvelope(ctx, message, code, options.errors))
  }

  protected async errorWithLog(ctx: HttpContext, options: LoggedError) {
    const { message, status = 400, code, errors, ...audit } = options
    const errorCode = code ?? errorCodeForStatus(status)
    await AuditService.record(
      AuditService.fromRequest(ctx, {
        ...audit,
        status: 'error',
        httpStatus: status,
        message,
        errorCode,
      })
    )
    return this.error(ctx, message, { status, code: errorCode, errors })
  }

  /**
   * The console's `successWithLog`: writes the same audit entry the API
   * would (action, subject, changes), flashes `message` and redirects to
   * the named route, or back to the form when no route is given.
   */
  protected async redirectWithLog(ctx: HttpContext, options: LoggedRedirect) {
    const { message, route, params, query, ...audit } = options
    await AuditService.record(
      AuditService.fromRequest(ctx, { ...audit, status: 'success', httpStatus: 302, message })
    )
    ctx.session.flash('success', message)
    // Back keeps the page's own query string (filters, page).
    if (!route) return ctx.response.redirect().withQs().back()
    return ctx.response
      .redirect()
      .withQs(query ?? {})
      .toRoute(route, params ?? {})
  }

  /**
   * Responds with one page of rows and `meta: {page, per_page, total, last_page}`,
   * each row passed through `present` when given.
   */
  protected paginated<T>(
    ctx: HttpContext,
    source: PageSource<T>,
    present: (row: T) => unknown = (row) => row,
    message = 'OK'
  ) {
    // Lucid's paginators also have a `rows` property: tell them apart by `all()`.
    const lucid = 'all' in source
    const rows = lucid ? source.all() : source.rows
    const meta = lucid
      ? this.pageMeta(source)
      : this.pageMeta({
          currentPage: source.page,
          perPage: source.perPage,
          total: source.total,
          lastPage: Math.ceil(source.total / source.perPage),
        })
    return this.success(ctx, rows.map(present), { message, meta })
  }

  /**
   * `{ page, per_page, total, last_page }` of a Lucid paginator: the API's
   * `meta` and what the console's pagination component reads.
   */
  protected pageMeta(paginator: {
    currentPage: number
    perPage: number
    total: number
    lastPage: number
  }) {
    return {
      page: paginator.currentPage,
      per_page: paginator.perPage,
      total: paginator.total,
      last_page: Math.max(1, paginator.lastPage),
    }
  }

  /**
   * Validated `page` / `per_page` of the query string (per_page capped at 100).
   */
  protected async pageParams(ctx: HttpContext) {
    const { page, per_page: perPage } = await paginationValidator.validate(ctx.request.qs())
    return { page: page ?? 1, perPage: Math.min(perPage ?? DEFAULT_PER_PAGE, MAX_PER_PAGE) }
  }
}
