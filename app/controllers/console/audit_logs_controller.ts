import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import BaseController from '#controllers/base_controller'
import AuditLogPolicy from '#policies/audit_log_policy'
import AuditService from '#services/audit_service'
import AuditLogService, {
  AUDIT_EXPORT_LIMIT,
  type AuditLogFilters,
  type AuditLogPosition,
} from '#services/audit_log_service'
import { listAuditLogsValidator } from '#validators/audit_log'

/** Where a list page starts: not a filter, never carried to another page's link. */
const POSITION_KEYS = new Set(['page', 'cursor', 'before'])

/**
 * Validated list filters (audit log, inbox) as query-string values again,
 * for the filter form, pagination links and the export link (dates as the
 * form sent them).
 */
export function filterQuery(filters: object) {
  const query: Record<string, string> = {}
  for (const [key, value] of Object.entries(filters)) {
    if (value === undefined || value === null || POSITION_KEYS.has(key)) continue
    if (value instanceof Date) {
      const date = DateTime.fromJSDate(value).toUTC()
      query[key] = date.equals(date.startOf('day'))
        ? date.toISODate()!
        : date.toFormat('yyyy-LL-dd HH:mm:ss')
    } else query[key] = String(value)
  }
  return query
}

/**
 * Answers with the CSV of the filtered entries, after recording the export
 * in the audit trail (an export is audited like any state change).
 */
export async function sendAuditCsv(
  ctx: HttpContext,
  filters: AuditLogFilters & AuditLogPosition & { page?: number; per_page?: number },
  options: { filename: string; withOrganization?: boolean; organizationId?: number | null }
) {
  const { page, per_page: perPage, cursor, before, limit, ...exported } = filters
  await AuditService.record(
    AuditService.fromRequest(ctx, {
      action: 'audit_log.exported',
      httpStatus: 200,
      message: 'Audit log exported',
      organizationId: options.organizationId,
      subject: { type: 'audit_log', id: 'export' },
      changes: { filters: exported, limit: AUDIT_EXPORT_LIMIT },
    })
  )
  ctx.response.header('Content-Type', 'text/csv; charset=utf-8')
  ctx.response.header('Content-Disposition', `attachment; filename="${options.filename}"`)
  ctx.response.header('Cache-Control', 'no-store')
  return ctx.response.stream(
    AuditLogService.csv(exported, { withOrganization: options.withOrganization })
  )
}

/**
 * The organization's audit log in the console: the API's filters and
 * service, as pages and a CSV download.
 */
export default class AuditLogsController extends BaseController {
  /** Filtered entries, newest first, in keyset pages (Newer / Older links). */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(AuditLogPolicy).authorize('viewAny')
    const filters = await ctx.request.validateUsing(listAuditLogsValidator, {
      data: ctx.request.qs(),
    })
    const { perPage } = await this.pageParams(ctx)
    const page = await AuditLogService.browse(filters, perPage)
    return ctx.view.render('pages/audit_logs/index', {
      entries: page.rows,
      pager: page,
      actors: await AuditLogService.actors(page.rows),
      options: await AuditLogService.filterOptions(),
      filters: filterQuery(filters),
      exportLimit: AUDIT_EXPORT_LIMIT,
    })
  }

  /** One entry: request facts and the redacted change set. */
  async show(ctx: HttpContext) {
    await ctx.bouncer.with(AuditLogPolicy).authorize('viewAny')
    const details = await AuditLogService.find(ctx.params.id)
    return ctx.view.render('pages/audit_logs/show', details)
  }

  /** The filtered view as CSV (bounded), audited as an export. */
  async export(ctx: HttpContext) {
    await ctx.bouncer.with(AuditLogPolicy).authorize('viewAny')
    const filters = await ctx.request.validateUsing(listAuditLogsValidator, {
      data: ctx.request.qs(),
    })
    const { slug } = ctx.tenant.organization
    return sendAuditCsv(ctx, filters, {
      filename: `audit-log-${slug}-${DateTime.utc().toISODate()}.csv`,
    })
  }
}
