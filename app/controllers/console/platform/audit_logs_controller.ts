import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import BaseController from '#controllers/base_controller'
import { filterQuery, sendAuditCsv } from '#controllers/console/audit_logs_controller'
import PlatformPolicy from '#policies/platform_policy'
import AuditLogService, { AUDIT_EXPORT_LIMIT } from '#services/audit_log_service'
import OrganizationService from '#services/organization_service'
import { listPlatformAuditLogsValidator } from '#validators/audit_log'

/**
 * The platform-wide audit log (super-admins). platformPage() runs these
 * actions inside TenantContext.asPlatform, so audit queries see every
 * organization's entries and the platform's own.
 */
export default class PlatformAuditLogsController extends BaseController {
  /** Every organization's entries, with the organization filter and column; keyset pages. */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const filters = await ctx.request.validateUsing(listPlatformAuditLogsValidator, {
      data: ctx.request.qs(),
    })
    const { perPage } = await this.pageParams(ctx)
    const page = await AuditLogService.browse(filters, perPage)
    return ctx.view.render('pages/platform/audit_logs', {
      entries: page.rows,
      pager: page,
      actors: await AuditLogService.actors(page.rows),
      organizationsById: await AuditLogService.organizations(page.rows),
      options: await AuditLogService.filterOptions({
        platform: true,
        organizationId: filters.organization_id,
      }),
      organizationOptions: await OrganizationService.platformOptions(),
      filters: filterQuery(filters),
      exportLimit: AUDIT_EXPORT_LIMIT,
    })
  }

  /** One entry of any organization. */
  async show(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const details = await AuditLogService.find(ctx.params.id)
    return ctx.view.render('pages/platform/audit_log', details)
  }

  /** The filtered platform view as CSV, with an organization column. */
  async export(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const filters = await ctx.request.validateUsing(listPlatformAuditLogsValidator, {
      data: ctx.request.qs(),
    })
    return sendAuditCsv(ctx, filters, {
      filename: `platform-audit-log-${DateTime.utc().toISODate()}.csv`,
      withOrganization: true,
      organizationId: filters.organization_id ?? null,
    })
  }
}
