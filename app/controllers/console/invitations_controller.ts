import type { HttpContext } from '@adonisjs/core/http'
import BaseController from '#controllers/base_controller'
import ApiException from '#exceptions/api_exception'
import MemberPolicy from '#policies/member_policy'
import InvitationService from '#services/invitation_service'
import SessionTrackingService from '#services/session_tracking_service'
import { acceptInvitationValidator } from '#validators/invitation'

/**
 * Pending invitations of the organization, and the public page where an
 * invitee accepts one (the same service and audit actions as the API).
 */
export default class InvitationsController extends BaseController {
  /** Every pending invitation, paginated. */
  async index(ctx: HttpContext) {
    await ctx.bouncer.with(MemberPolicy).authorize('viewAny')
    const { page, perPage } = await this.pageParams(ctx)
    const invitations = await InvitationService.pending()
      .preload('invitedBy')
      .paginateInOne(page, perPage)
    return ctx.view.render('pages/invitations/index', {
      invitations: invitations.all(),
      meta: this.pageMeta(invitations),
    })
  }

  /** Mails the invitation again with a fresh link and expiry. */
  async resend(ctx: HttpContext) {
    await ctx.bouncer.with(MemberPolicy).authorize('manage')
    const invitation = await InvitationService.resend(ctx.params.id, ctx.tenant)
    return this.redirectWithLog(ctx, {
      action: 'invitation.resent',
      subject: { type: 'invitation', id: invitation.id },
      changes: { email: invitation.email, expires_at: invitation.expiresAt.toISO() },
      message: `Invitation mailed again to ${invitation.email}; the previous link no longer works.`,
    })
  }

  /** Cancels a pending invitation: its link stops working. */
  async destroy(ctx: HttpContext) {
    await ctx.bouncer.with(MemberPolicy).authorize('manage')
    const invitation = await InvitationService.cancel(ctx.params.id)
    return this.redirectWithLog(ctx, {
      action: 'invitation.cancelled',
      subject: { type: 'invitation', id: invitation.id },
      changes: { email: invitation.email },
      message: `Invitation to ${invitation.email} cancelled.`,
    })
  }

  /** Public: what the mailed link invites to, and the form to accept it. */
  async show(ctx: HttpContext) {
    // A refused form comes back here without the query string: the posted secret is old input.
    const token = ctx.request.qs().token ?? ctx.session.flashMessages.get('token')
    const secret = typeof token === 'string' ? token : ''
    let preview
    try {
      preview = await InvitationService.preview(secret)
    } catch (error) {
      // A page, not a form post: there is nothing to go back to, so the refusal is the page.
      if (!(error instanceof ApiException)) throw error
      ctx.response.status(error.status)
      return ctx.view.render('pages/invitations/invalid', { reason: error.message })
    }
    const web = ctx.auth.use('web')
    const signedIn = (await web.check()) ? web.user! : null
    return ctx.view.render('pages/invitations/accept', {
      token: secret,
      ...preview,
      // Someone else signed in on this browser is signed out on accepting; the page says so.
      otherUser: signedIn && signedIn.id !== preview.existing?.id ? signedIn : null,
    })
  }

  /**
   * Public: joins with the mailed secret (creating the account when the
   * email has none) and signs in to the organization.
   */
  async accept(ctx: HttpContext) {
    const payload = await ctx.request.validateUsing(acceptInvitationValidator)
    const { user, tenant, invitation, created } = await InvitationService.join(
      payload.token ?? '',
      payload
    )
    const web = ctx.auth.use('web')
    if ((await web.check()) && web.user!.id !== user.id) {
      await SessionTrackingService.end(ctx)
      await web.logout()
    }
    await web.login(user)
    await SessionTrackingService.start(ctx, user)
    ctx.session.put('organization_id', tenant.organization.id)
    return this.redirectWithLog(ctx, {
      action: 'invitation.accepted',
      actorUserId: user.id,
      organizationId: tenant.organization.id,
      subject: { type: 'invitation', id: invitation.id },
      changes: { email: invitation.email, account_created: created },
      message: `Welcome to ${tenant.organization.name}!`,
      route: 'dashboard',
    })
  }
}
