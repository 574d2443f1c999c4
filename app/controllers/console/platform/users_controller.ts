import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import PlatformPolicy from '#policies/platform_policy'
import PlatformUserService from '#services/platform_user_service'
import { listUsersValidator, updatePlatformUserValidator } from '#validators/admin'

/**
 * Every account, for super-admins: disable/enable, promote/demote.
 */
export default class PlatformUsersController extends BaseController {
  /** Users with their organization counts and last sign-in. */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const filters = await ctx.request.validateUsing(listUsersValidator, { data: ctx.request.qs() })
    const { page, perPage } = await this.pageParams(ctx)
    const users = await PlatformUserService.list(filters).paginateInOne(page, perPage)
    return ctx.view.render('pages/platform/users', {
      users: users.all(),
      meta: this.pageMeta(users),
      filters: {
        ...filters,
        super_admin: filters.super_admin === undefined ? undefined : Number(filters.super_admin),
      },
    })
  }

  /** Disables/enables an account or changes its super-admin flag. */
  async update(ctx: HttpContext) {
    await ctx.bouncer.with(PlatformPolicy).authorize('manage')
    const changes = await ctx.request.validateUsing(updatePlatformUserValidator)
    const actor = ctx.auth.getUserOrFail()
    const { user, before } = await PlatformUserService.update(actor, ctx.params.id, changes)
    const [action, message] =
      changes.status !== undefined
        ? changes.status === 'disabled'
          ? ['platform.user.disabled', `${user.email} disabled; their API tokens are revoked.`]
          : ['platform.user.enabled', `${user.email} enabled.`]
        : changes.is_super_admin
          ? ['platform.user.promoted', `${user.email} is now a super-admin.`]
          : ['platform.user.demoted', `${user.email} is no longer a super-admin.`]
    return this.redirectWithLog(ctx, {
      action,
      subject: { type: 'user', id: user.id },
      changes: { before, after: { status: user.status, is_super_admin: user.isSuperAdmin } },
      message,
    })
  }
}
