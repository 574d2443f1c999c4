import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import Organization from '#models/organization'
import PlatformPolicy from '#policies/platform_policy'
import OrganizationService from '#services/organization_service'
import { listOrganizationsValidator, updateOrganizationStatusValidator } from '#validators/admin'

function presentOrganization(organization: Organization) {
  return {
    ...organization.serialize(),
    members_count: Number(organization.$extras.memberships_count ?? 0),
  }
}

/**
 * `/api/v1/admin/organizations`: every organization, for super-admins.
 */
export default class AdminOrganizationsController extends BaseController {
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
    return this.paginated(ctx, organizations, presentOrganization)
  }

  /**
   * Suspends or reactivates an organization.
   */
  async update(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const organization = await Organization.findOrFail(ctx.params.id)
    const { status } = await ctx.request.validateUsing(updateOrganizationStatusValidator)
    const audit = await OrganizationService.setStatus(organization, status)
    return this.successWithLog(ctx, {
      ...audit,
      data: organization.serialize(),
      message: status === 'suspended' ? 'Organization suspended' : 'Organization activated',
    })
  }
}
