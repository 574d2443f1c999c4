import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import RolePolicy from '#policies/role_policy'
import RoleService from '#services/role_service'
import { createRoleValidator, updateRoleValidator } from '#validators/role'

/**
 * A checkbox group with nothing ticked is absent from the form body: read
 * it as "no permissions" so the validator says so, instead of a create
 * failing on a missing field or an update silently keeping the old ones.
 */
const withPermissions = (body: Record<string, unknown>) => ({ permissions: [], ...body })

/**
 * The console's roles pages: the same service, policy, validators and
 * audit actions as `/api/v1/roles`.
 */
export default class RolesController extends BaseController {
  /** Built-in roles, then custom ones, with how many members hold each. */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(RolePolicy).authorize('viewAny')
    const { page, perPage } = await this.pageParams(ctx)
    const roles = await RoleService.list().paginateInOne(page, perPage)
    return ctx.view.render('pages/roles/index', {
      roles: roles.all(),
      memberCounts: await RoleService.memberCounts(),
      meta: this.pageMeta(roles),
    })
  }

  /** One role's permissions, read-only (the only view of a built-in role). */
  async show(ctx: HttpContext) {
    await ctx.bouncer.with(RolePolicy).authorize('viewAny')
    const role = await RoleService.find(ctx.params.id)
    return ctx.view.render('pages/roles/show', {
      role,
      granted: role.permissions,
      catalogue: RoleService.catalogue(),
    })
  }

  /** The form of a new custom role. */
  async create(ctx: HttpContext) {
    await ctx.bouncer.with(RolePolicy).authorize('create')
    return ctx.view.render('pages/roles/form', {
      role: null,
      catalogue: RoleService.catalogue(),
      held: [...ctx.tenant.permissions],
    })
  }

  /** Creates a custom role granting permissions the actor holds. */
  async store(ctx: HttpContext) {
    await ctx.bouncer.with(RolePolicy).authorize('create')
    const payload = await ctx.request.validateUsing(createRoleValidator, {
      data: withPermissions(ctx.request.body()),
    })
    const role = await RoleService.create(payload, ctx.tenant.permissions)
    return this.redirectWithLog(ctx, {
      action: 'role.created',
      subject: { type: 'role', id: role.id },
      changes: { slug: role.slug, ...RoleService.snapshot(role) },
      message: `Role "${role.name}" created.`,
      route: 'roles.index',
    })
  }

  /** The form of a custom role; built-in roles only have their read-only page. */
  async edit(ctx: HttpContext) {
    await ctx.bouncer.with(RolePolicy).authorize('update')
    const role = await RoleService.find(ctx.params.id)
    if (role.isSystem) return ctx.response.redirect().toRoute('roles.show', { id: role.id })
    return ctx.view.render('pages/roles/form', {
      role,
      catalogue: RoleService.catalogue(),
      held: [...ctx.tenant.permissions],
    })
  }

  /** Renames a custom role or replaces its permissions. */
  async update(ctx: HttpContext) {
    await ctx.bouncer.with(RolePolicy).authorize('update')
    const payload = await ctx.request.validateUsing(updateRoleValidator, {
      data: withPermissions(ctx.request.body()),
    })
    const { role, before, after } = await RoleService.update(
      ctx.params.id,
      payload,
      ctx.tenant.permissions
    )
    return this.redirectWithLog(ctx, {
      action: 'role.updated',
      subject: { type: 'role', id: role.id },
      changes: { before, after },
      message: `Role "${role.name}" updated.`,
      route: 'roles.index',
    })
  }

  /** Deletes a custom role that no member or pending invitation uses. */
  async destroy(ctx: HttpContext) {
    await ctx.bouncer.with(RolePolicy).authorize('delete')
    const deleted = await RoleService.delete(ctx.params.id)
    return this.redirectWithLog(ctx, {
      action: 'role.deleted',
      subject: { type: 'role', id: deleted.id },
      changes: deleted,
      message: `Role "${deleted.name}" deleted.`,
      route: 'roles.index',
    })
  }
}
