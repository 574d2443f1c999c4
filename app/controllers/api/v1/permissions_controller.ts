import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import RolePolicy from '#policies/role_policy'
import RoleService from '#services/role_service'

export default class PermissionsController extends BaseController {
  /**
   * The permission catalogue, grouped by area, with what each one allows.
   */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(RolePolicy).authorize('viewCatalogue')
    return this.success(ctx, RoleService.catalogue())
  }
}
