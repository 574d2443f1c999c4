import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import MemberPolicy from '#policies/member_policy'
import MemberService from '#services/member_service'
import InvitationService from '#services/invitation_service'
import { addMemberValidator, listMembersValidator, updateMemberValidator } from '#validators/member'

/** Pending invitations shown under the members; the rest are one link away. */
const INVITATIONS_SHOWN = 10

/** A GET filter form sends its empty fields too: empty means "any". */
function filled(query: Record<string, unknown>) {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== ''))
}

/**
 * The console's members page: the same services, policies, validators and
 * audit actions as `/api/v1/users`.
 */
export default class MembersController extends BaseController {
  /** Members (filtered, paginated), pending invitations and the invite form. */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(MemberPolicy).authorize('viewAny')
    const filters = await ctx.request.validateUsing(listMembersValidator, {
      data: filled(ctx.request.qs()),
    })
    const { page, perPage } = await this.pageParams(ctx)
    const members = await MemberService.list(filters).paginateInOne(page, perPage)
    const invitations = await InvitationService.pending()
      .preload('invitedBy')
      .paginateInOne(1, INVITATIONS_SHOWN)
    const roles = await MemberService.roles()
    // Members holding a role the actor could not grant are beyond their reach (owners for admins).
    const assignableRoles = ctx.tenant.can('members.manage')
      ? MemberService.assignableAmong(roles, ctx.tenant)
      : []
    return ctx.view.render('pages/members/index', {
      members: members.all(),
      meta: this.pageMeta(members),
      filters: { q: filters.q ?? '', role_id: filters.role_id ?? '', status: filters.status ?? '' },
      filtered: Boolean(filters.q || filters.role_id || filters.status),
      invitations: invitations.all(),
      invitationsTotal: invitations.total,
      roles,
      assignableRoles,
      assignableIds: assignableRoles.map((role) => role.id),
      currentUserId: ctx.tenant.membership.userId,
    })
  }

  /** Adds an existing account at once, or mails an invitation to an unknown email. */
  async store(ctx: HttpContext) {
    await ctx.bouncer.with(MemberPolicy).authorize('manage')
    const payload = await ctx.request.validateUsing(addMemberValidator)
    const result = await MemberService.addOrInvite(payload.email, payload.role_id, ctx.tenant)
    return this.redirectWithLog(ctx, {
      ...result.audit,
      message:
        result.outcome === 'added'
          ? `${payload.email} already had an account and was added as ${result.role.name}.`
          : `Invitation mailed to ${payload.email} (${result.role.name}).`,
      route: 'members.index',
    })
  }

  /** Changes a member's role or status (never leaving the organization without an owner). */
  async update(ctx: HttpContext) {
    await ctx.bouncer.with(MemberPolicy).authorize('manage')
    const membership = await MemberService.find(ctx.params.id)
    const payload = await ctx.request.validateUsing(updateMemberValidator)
    const { audit } = await MemberService.update(membership, payload, ctx.tenant)
    return this.redirectWithLog(ctx, {
      ...audit,
      message: `${membership.user.name} is now ${membership.role.name} (${membership.status}).`,
    })
  }

  /** Removes the member from the organization (the account stays). */
  async destroy(ctx: HttpContext) {
    await ctx.bouncer.with(MemberPolicy).authorize('manage')
    const membership = await MemberService.find(ctx.params.id)
    const audit = await MemberService.remove(membership, ctx.tenant)
    return this.redirectWithLog(ctx, {
      ...audit,
      message: `${membership.user.name} was removed from the organization.`,
      route: 'members.index',
    })
  }
}
