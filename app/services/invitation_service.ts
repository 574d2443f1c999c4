import { createHash, randomBytes } from 'node:crypto'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Invitation from '#models/invitation'
import Membership from '#models/membership'
import Organization from '#models/organization'
import type Role from '#models/role'
import User from '#models/user'
import ApiException from '#exceptions/api_exception'
import UserService from '#services/user_service'
import MailService from '#services/mail_service'
import InvitationMail from '#mails/invitation_mail'
import TenantService from '#services/tenant_service'
import type { Tenant } from '#support/tenant'
import { TenantContext } from '#support/tenant_context'

export const INVITATION_LIFETIME_DAYS = 7

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex')

const newSecret = () => randomBytes(32).toString('base64url')

/**
 * Invitations to join an organization: a single-use, expiring secret
 * mailed to the invitee; only its hash is stored.
 */
export default class InvitationService {
  static pending() {
    return Invitation.query().whereNull('accepted_at').preload('role').orderBy('id', 'desc')
  }

  /**
   * Invites `email` with `role`; a pending invitation for the same email is
   * replaced (that is how an invitation is resent).
   */
  static async invite(email: string, role: Role, actor: Tenant) {
    const user = await UserService.findByEmail(email)
    if (user && (await Membership.query().where('user_id', user.id).first())) {
      throw ApiException.conflict('This person is already a member.', 'ALREADY_MEMBER')
    }

    const token = newSecret()
    const invitation = await db.transaction(async (trx) => {
      await Invitation.query({ client: trx })
        .where('email', email)
        .whereNull('accepted_at')
        .delete()
      return Invitation.create(
        {
          email,
          roleId: role.id,
          invitedByUserId: actor.membership.userId,
          tokenHash: hashToken(token),
          expiresAt: DateTime.utc().plus({ days: INVITATION_LIFETIME_DAYS }),
          acceptedAt: null,
        },
        { client: trx }
      )
    })
    invitation.$setRelated('role', role)
    await this.deliver(invitation, token, actor.organization, await this.#inviterName(actor))
    return invitation
  }

  /**
   * Mails a pending invitation again with a fresh secret and a full
   * lifetime: the previous link stops working. The member who resends it
   * signs the mail, so they become its inviter.
   */
  static async resend(id: number, actor: Tenant) {
    const invitation = await Invitation.query()
      .where('id', id)
      .whereNull('accepted_at')
      .preload('role')
      .first()
    if (!invitation) throw ApiException.notFound('Invitation not found')
    const token = newSecret()
    invitation.merge({
      tokenHash: hashToken(token),
      expiresAt: DateTime.utc().plus({ days: INVITATION_LIFETIME_DAYS }),
      invitedByUserId: actor.membership.userId,
    })
    await invitation.save()
    await this.deliver(invitation, token, actor.organization, await this.#inviterName(actor))
    return invitation
  }

  static async cancel(id: number) {
    const invitation = await Invitation.query().where('id', id).whereNull('accepted_at').first()
    if (!invitation) throw ApiException.notFound('Invitation not found')
    await invitation.delete()
    return invitation
  }

  /**
   * The pending, unexpired invitation of a secret with its organization
   * (still accepting members) and whether its email has an account yet;
   * refused like `accept` otherwise. Shown before accepting.
   */
  static async preview(token: string) {
    const invitation = await TenantContext.asPlatform(() =>
      Invitation.query()
        .where('token_hash', hashToken(token))
        .whereNull('accepted_at')
        .preload('role')
        .first()
    )
    if (!invitation || invitation.expiresAt < DateTime.utc()) {
      throw new ApiException(
        'This invitation link is invalid, used or expired: ask for a new invitation.',
        'INVALID_INVITATION',
        422
      )
    }
    const organization = await Organization.find(invitation.organizationId)
    if (!organization || organization.isSuspended) {
      throw new ApiException(
        'This organization no longer accepts members.',
        'INVALID_INVITATION',
        422
      )
    }
    const existing = await UserService.findByEmail(invitation.email)
    return { invitation, organization, existing }
  }

  /**
   * Accepts an invitation by its secret: links the existing account with
   * that email, or creates one (name and password then required). The
   * secret proves the invitee controls the email, so it is marked verified.
   * Answers with an API token for the member.
   */
  static async accept(token: string, input: { name?: string; password?: string }) {
    const joined = await this.join(token, input)
    const accessToken = await User.accessTokens.create(joined.user, ['*'], {
      organizationId: joined.tenant.organization.id,
      name: 'Invitation',
    })
    return { ...joined, token: accessToken }
  }

  /**
   * `accept` without the API token: the console signs the member in with
   * a session instead.
   */
  static async join(token: string, input: { name?: string; password?: string }) {
    const { invitation, organization, existing } = await this.preview(token)
    if (!existing && (!input.name || !input.password)) {
      throw new ApiException(
        'Choose your name and a password to create your account.',
        'ACCOUNT_DETAILS_REQUIRED',
        422
      )
    }

    const user = await db.transaction(async (trx) => {
      const member =
        existing ??
        (await UserService.create(
          { name: input.name!, email: invitation.email, password: input.password! },
          trx
        ))
      if (!member.emailVerifiedAt) {
        member.emailVerifiedAt = DateTime.utc()
        member.useTransaction(trx)
        await member.save()
      }
      await TenantContext.run(organization.id, async () => {
        const already = await Membership.query({ client: trx }).where('user_id', member.id).first()
        if (!already) {
          await Membership.create(
            { userId: member.id, roleId: invitation.roleId, status: 'active' },
            { client: trx }
          )
        }
        invitation.useTransaction(trx)
        invitation.acceptedAt = DateTime.utc()
        await invitation.save()
      })
      return member
    })

    const tenant = await TenantService.resolve(user, organization.id)
    return { user, tenant, invitation, created: !existing }
  }

  /**
   * Mails the invitation link (through the mail queue).
   */
  static async deliver(
    invitation: Invitation,
    token: string,
    organization: Organization,
    inviter: string
  ) {
    await MailService.queue(
      new InvitationMail(
        invitation.email,
        organization.name,
        inviter,
        invitation.role.name,
        MailService.link('/invitations/accept', { token }),
        INVITATION_LIFETIME_DAYS
      )
    )
  }

  static async #inviterName(actor: Tenant) {
    const inviter = await User.find(actor.membership.userId)
    return inviter?.name ?? 'A colleague'
  }
}

export function presentInvitation(invitation: Invitation) {
  return {
    id: invitation.id,
    email: invitation.email,
    role: invitation.role
      ? { id: invitation.role.id, slug: invitation.role.slug, name: invitation.role.name }
      : { id: invitation.roleId },
    expires_at: invitation.expiresAt.toISO(),
    expired: invitation.expiresAt < DateTime.utc(),
    created_at: invitation.createdAt?.toISO() ?? null,
  }
}
