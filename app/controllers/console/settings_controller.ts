import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import OrganizationPolicy from '#policies/organization_policy'
import OrganizationService from '#services/organization_service'
import { deleteOrganizationValidator, updateOrganizationValidator } from '#validators/organization'

/**
 * The organization's settings and the owners' danger zone: the same
 * service, policy, validators and audit actions as `/api/v1/organization`.
 */
export default class SettingsController extends BaseController {
  /** Name and slug (read-only without `organization.manage`); deletion for owners. */
  async edit(ctx: HttpContext) {
    await ctx.bouncer.with(OrganizationPolicy).authorize('view')
    return ctx.view.render('pages/settings/edit', { organization: ctx.tenant.organization })
  }

  /** Renames the organization or changes its slug. */
  async update(ctx: HttpContext) {
    await ctx.bouncer.with(OrganizationPolicy).authorize('update')
    const payload = await ctx.request.validateUsing(updateOrganizationValidator)
    const { audit } = await OrganizationService.update(ctx.tenant.organization, payload)
    return this.redirectWithLog(ctx, {
      ...audit,
      message: 'Organization settings saved.',
      route: 'settings.edit',
    })
  }

  /**
   * Deletes the organization once its slug is typed, then leaves it: the
   * session forgets it and the member picks another organization.
   */
  async destroy(ctx: HttpContext) {
    await ctx.bouncer.with(OrganizationPolicy).authorize('delete')
    const organization = ctx.tenant.organization
    await ctx.request.validateUsing(deleteOrganizationValidator, {
      meta: { slug: organization.slug },
    })
    const deleted = await OrganizationService.delete(organization)
    ctx.session.forget('organization_id')
    return this.redirectWithLog(ctx, {
      ...deleted,
      message: `${organization.name} was deleted.`,
      route: 'organizations.choose',
    })
  }
}
