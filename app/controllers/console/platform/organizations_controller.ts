import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import Organization from '#models/organization'
import PlatformPolicy from '#policies/platform_policy'
import OrganizationService from '#services/organization_service'
import { listOrganizationsValidator, updateOrganizationStatusValidator } from '#validators/admin'

/**
 * Every organization, for super-admins: the pages of
 * `/api/v1/admin/organizations`.
 */
export default class PlatformOrganizationsController extends BaseController {
  /** Organizations with member counts (one query), searchable by name or slug. */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const filters = await ctx.request.validateUsing(listOrganizationsValidator, {
      data: ctx.request.qs(),
    })
    const { page, perPage } = await this.pageParams(ctx)
    const organizations = await OrganizationService.platformList(filters).paginateInOne(
      page,
      perPage
    )
    return ctx.view.render('pages/platform/organizations', {
      organizationRows: organizations.all(),
      meta: this.pageMeta(organizations),
      filters,
    })
  }

  /** Suspends or reactivates an organization (the API's audit action). */
  async update(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const organization = await Organization.findOrFail(ctx.params.id)
    const { status } = await ctx.request.validateUsing(updateOrganizationStatusValidator)
    const audit = await OrganizationService.setStatus(organization, status)
    return this.redirectWithLog(ctx, {
      ...audit,
      message: `${organization.name} ${status === 'suspended' ? 'suspended' : 'activated'}.`,
    })
  }
}
