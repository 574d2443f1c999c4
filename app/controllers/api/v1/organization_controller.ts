import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import OrganizationPolicy from '#policies/organization_policy'
import OrganizationService from '#services/organization_service'
import { deleteOrganizationValidator, updateOrganizationValidator } from '#validators/organization'

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
    const { organization, audit } = await OrganizationService.update(
      ctx.tenant.organization,
      payload
    )
    return this.successWithLog(ctx, {
      ...audit,
      data: organization.serialize(),
      message: 'Organization updated',
    })
  }

  /**
   * Deletes the organization (owners; `confirm` must be its slug), revoking
   * its tokens, this one included, and its pending invitations.
   */
  async destroy(ctx: HttpContext) {
    await ctx.bouncer.with(OrganizationPolicy).authorize('delete')
    const organization = ctx.tenant.organization
    await ctx.request.validateUsing(deleteOrganizationValidator, {
      meta: { slug: organization.slug },
    })
    const deleted = await OrganizationService.delete(organization)
    return this.successWithLog(ctx, {
      ...deleted,
      data: null,
      message: 'Organization deleted',
    })
  }
}
