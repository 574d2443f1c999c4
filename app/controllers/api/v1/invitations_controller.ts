import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import MemberPolicy from '#policies/member_policy'
import MemberService from '#services/member_service'
import InvitationService, { presentInvitation } from '#services/invitation_service'
import { acceptInvitationValidator, createInvitationValidator } from '#validators/invitation'
import { presentMembership, presentNewToken, presentUser } from '#support/presenters'

export default class InvitationsController extends BaseController {
  /**
   * Pending invitations, newest first.
   */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(MemberPolicy).authorize('viewAny')
    const { page, perPage } = await this.pageParams(ctx)
    const invitations = await InvitationService.pending().paginateInOne(page, perPage)
    return this.paginated(ctx, invitations, presentInvitation)
  }

  /**
   * Invites someone by email with a role (sending again replaces the
   * previous invitation).
   */
  async store(ctx: HttpContext) {
    await ctx.bouncer.with(MemberPolicy).authorize('manage')
    const payload = await ctx.request.validateUsing(createInvitationValidator)
    const result = await MemberService.addOrInvite(payload.email, payload.role_id, ctx.tenant, {
      inviteExisting: true,
    })
    return this.successWithLog(ctx, {
      ...result.audit,
      data: presentInvitation(result.invitation),
      message: 'Invitation sent',
      status: 201,
    })
  }

  /**
   * Cancels a pending invitation: its link stops working.
   */
  async destroy(ctx: HttpContext) {
    await ctx.bouncer.with(MemberPolicy).authorize('manage')
    const invitation = await InvitationService.cancel(ctx.params.id)
    return this.successWithLog(ctx, {
      action: 'invitation.cancelled',
      subject: { type: 'invitation', id: invitation.id },
      changes: { email: invitation.email },
      data: null,
      message: 'Invitation cancelled',
    })
  }

  /**
   * Public: joins the organization with the mailed secret, creating the
   * account when the email has none. Answers with an API token.
   */
  async accept(ctx: HttpContext) {
    const payload = await ctx.request.validateUsing(acceptInvitationValidator)
    const { user, tenant, invitation, token, created } = await InvitationService.accept(
      ctx.params.token,
      payload
    )
    return this.successWithLog(ctx, {
      action: 'invitation.accepted',
      actorUserId: user.id,
      organizationId: tenant.organization.id,
      subject: { type: 'invitation', id: invitation.id },
      changes: { email: invitation.email, account_created: created },
      data: {
        token: presentNewToken(token),
        user: presentUser(user),
        ...presentMembership(tenant),
      },
      message: 'Welcome aboard',
      status: created ? 201 : 200,
    })
  }
}
