import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import MemberPolicy from '#policies/member_policy'
import MemberService, { presentMember } from '#services/member_service'
import { presentInvitation } from '#services/invitation_service'
import { addMemberValidator, listMembersValidator, updateMemberValidator } from '#validators/member'

/**
 * `/api/v1/users`: the members of the current organization.
 */
export default class MembersController extends BaseController {
  /**
   * Members with their role and status, filterable, paginated.
   */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(MemberPolicy).authorize('viewAny')
    const filters = await ctx.request.validateUsing(listMembersValidator, {
      data: ctx.request.qs(),
    })
    const { page, perPage } = await this.pageParams(ctx)
    const members = await MemberService.list(filters).paginateInOne(page, perPage)
    return this.paginated(ctx, members, presentMember)
  }

  /**
   * Adds an existing user, or invites a new one by email.
   */
  async store(ctx: HttpContext) {
    await ctx.bouncer.with(MemberPolicy).authorize('manage')
    const payload = await ctx.request.validateUsing(addMemberValidator)
    const result = await MemberService.addOrInvite(payload.email, payload.role_id, ctx.tenant)
    if (result.outcome === 'invited') {
      return this.successWithLog(ctx, {
        ...result.audit,
        data: presentInvitation(result.invitation),
        message: 'No account uses this email yet: an invitation was sent',
        status: 202,
      })
    }
    return this.successWithLog(ctx, {
      ...result.audit,
      data: presentMember(result.membership),
      message: 'Member added',
      status: 201,
    })
  }

  async show(ctx: HttpContext) {
    await ctx.bouncer.with(MemberPolicy).authorize('viewAny')
    const membership = await MemberService.find(ctx.params.id)
    return this.success(ctx, presentMember(membership))
  }

  /**
   * Changes a member's role or status (never leaving the organization
   * without an active owner).
   */
  async update(ctx: HttpContext) {
    await ctx.bouncer.with(MemberPolicy).authorize('manage')
    const membership = await MemberService.find(ctx.params.id)
    const payload = await ctx.request.validateUsing(updateMemberValidator)
    const { audit } = await MemberService.update(membership, payload, ctx.tenant)
    return this.successWithLog(ctx, {
      ...audit,
      data: presentMember(membership),
      message: 'Member updated',
    })
  }

  /**
   * Removes the member from the organization (the account stays).
   */
  async destroy(ctx: HttpContext) {
    await ctx.bouncer.with(MemberPolicy).authorize('manage')
    const membership = await MemberService.find(ctx.params.id)
    const audit = await MemberService.remove(membership, ctx.tenant)
    return this.successWithLog(ctx, {
      ...audit,
      data: null,
      message: 'Member removed',
    })
  }
}
