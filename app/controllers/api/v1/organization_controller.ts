import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import OrganizationPolicy from '#policies/organization_policy'
import OrganizationService from '#services/organization_service'
import { updateOrganizationValidator } from '#validators/organization'

export default class OrganizationController extends BaseController {
  /**
   * The organization the request acts in.
   */
  async show(ctx: HttpContext) {
    await ctx.bouncer.with(OrganizationPolicy).authorize('view')
    return this.success(ctx, ctx.tenant.organization.serialize())
  }

  /**
   * Renames the organization or changes its slug.
   */
  async update(ctx: HttpContext) {
    await ctx.bouncer.with(OrganizationPolicy).authorize('update')
    const payload = await ctx.request.validateUsing(updateOrganizationValidator)
    const { organization, before } = await OrganizationService.update(
      ctx.tenant.organization,
      payload
    )
    return this.successWithLog(ctx, {
      action: 'organization.updated',
      subject: { type: 'organization', id: organization.id },
      changes: { before, after: payload },
      data: organization.serialize(),
      message: 'Organization updated',
    })
  }
}
