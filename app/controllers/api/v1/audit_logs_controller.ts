import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import AuditLog from '#models/audit_log'
import AuditLogPolicy from '#policies/audit_log_policy'
import AuditLogService from '#services/audit_log_service'
import { listAuditLogsValidator } from '#validators/audit_log'

export default class AuditLogsController extends BaseController {
  /**
   * The organization's audit trail, filtered and paginated, newest first:
   * keyset pages with `cursor`, `before` or `limit` (meta.next_cursor,
   * meta.prev_cursor), else numbered pages within the first
   * `AuditLogService.countCap` entries.
   */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(AuditLogPolicy).authorize('viewAny')
    const filters = await ctx.request.validateUsing(listAuditLogsValidator, {
      data: ctx.request.qs(),
    })
    // Keyset pages read deep into a large log; numbered ones stop at the cap.
    const keyset = [filters.cursor, filters.before, filters.limit].some(
      (value) => value !== undefined
    )
    const { page, perPage } = await this.pageParams(ctx)
    const { rows, meta } = keyset
      ? await AuditLogService.keysetPage(filters)
      : await AuditLogService.numberedPage(filters, page, perPage)
    return this.success(ctx, rows, { meta })
  }

  /**
   * One entry with its request facts and redacted change set.
   */
  async show(ctx: HttpContext) {
    await ctx.bouncer.with(AuditLogPolicy).authorize('viewAny')
    const entry = await AuditLog.findOrFail(ctx.params.id)
    return this.success(ctx, entry.serialize())
  }
}
