import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import type Role from '#models/role'
import RolePolicy from '#policies/role_policy'
import RoleService, { sortPermissions } from '#services/role_service'
import { createRoleValidator, updateRoleValidator } from '#validators/role'

/**
 * Ids are numbers and flags booleans whatever the database driver returns
 * (PostgreSQL bigints are strings, SQLite booleans are 0/1).
 */
function presentRole(role: Role) {
  return {
    id: Number(role.id),
    slug: role.slug,
    name: role.name,
    description: role.description,
    is_system: Boolean(role.isSystem),
    permissions: sortPermissions(role.permissions),
    created_at: role.createdAt.toISO(),
    updated_at: role.updatedAt.toISO(),
  }
}

export default class RolesController extends BaseController {
  /**
   * Built-in roles, then this organization's custom roles, with their
   * permissions.
   */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(RolePolicy).authorize('viewAny')
    const { page, perPage } = await this.pageParams(ctx)
    const roles = await RoleService.list().paginateInOne(page, perPage)
    return this.paginated(ctx, roles, presentRole)
  }

  /**
   * Creates a custom role granting permissions the actor holds.
   */
  async store(ctx: HttpContext) {
    await ctx.bouncer.with(RolePolicy).authorize('create')
    const payload = await ctx.request.validateUsing(createRoleValidator)
    const role = await RoleService.create(payload, ctx.tenant.permissions)
    return this.successWithLog(ctx, {
      action: 'role.created',
      subject: { type: 'role', id: role.id },
      changes: { slug: role.slug, ...RoleService.snapshot(role) },
      data: presentRole(role),
      message: 'Role created',
      status: 201,
    })
  }

  /**
   * Renames a custom role or replaces its permissions.
   */
  async update(ctx: HttpContext) {
    await ctx.bouncer.with(RolePolicy).authorize('update')
    const payload = await ctx.request.validateUsing(updateRoleValidator)
    const { role, before, after } = await RoleService.update(
      ctx.params.id,
      payload,
      ctx.tenant.permissions
    )
    return this.successWithLog(ctx, {
      action: 'role.updated',
      subject: { type: 'role', id: role.id },
      changes: { before, after },
      data: presentRole(role),
      message: 'Role updated',
    })
  }

  /**
   * Deletes a custom role that no member or pending invitation uses.
   */
  async destroy(ctx: HttpContext) {
    await ctx.bouncer.with(RolePolicy).authorize('delete')
    const deleted = await RoleService.delete(ctx.params.id)
    return this.successWithLog(ctx, {
      action: 'role.deleted',
      subject: { type: 'role', id: deleted.id },
      changes: deleted,
      data: null,
      message: 'Role deleted',
    })
  }
}
