import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import AuditLog from '#models/audit_log'
import AuditLogPolicy from '#policies/audit_log_policy'
import AuditLogService from '#services/audit_log_service'
import { listAuditLogsValidator } from '#validators/audit_log'

export default class AuditLogsController extends BaseController {
  /**
   * The organization's audit trail, filtered and paginated, newest first.
   */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(AuditLogPolicy).authorize('viewAny')
    const filters = await ctx.request.validateUsing(listAuditLogsValidator, {
      data: ctx.request.qs(),
    })
    // `cursor` or `limit`: keyset pages (meta.next_cursor), for reading deep into a large log.
    if (filters.cursor !== undefined || filters.limit !== undefined) {
      const { rows, meta } = await AuditLogService.keysetPage(filters)
      return this.success(ctx, rows, { meta })
    }
    const { page, perPage } = await this.pageParams(ctx)
    const entries = await AuditLogService.query(filters).paginateInOne(page, perPage)
    return this.paginated(ctx, entries)
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
