import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Membership from '#models/membership'
import Role from '#models/role'
import type User from '#models/user'
import type Invitation from '#models/invitation'
import AccessToken from '#models/access_token'
import ApiException from '#exceptions/api_exception'
import InvitationService from '#services/invitation_service'
import UserService from '#services/user_service'
import { SystemRole } from '#enums/permissions'
import type { Tenant } from '#support/tenant'
import type { AuditedChange } from '#services/audit_service'
import { AuthCache } from '#support/auth_cache'

type MemberFilters = { status?: 'active' | 'disabled'; role_id?: number; q?: string }

type AddOrInviteAudit<Action, Subject> = {
  action: Action
  subject: { type: Subject; id: number }
  changes: { email: string; role: string }
}

/**
 * What `addOrInvite` did, with the audit entry that records it (the same
 * for the API and the console).
 */
export type MemberInvited = {
  outcome: 'invited'
  role: Role
  invitation: Invitation
  audit: AddOrInviteAudit<'invitation.created', 'invitation'>
}
export type MemberAdded = {
  outcome: 'added'
  role: Role
  membership: Membership
  audit: AddOrInviteAudit<'member.added', 'user'>
}

/**
 * Members of the current organization (memberships joined with users).
 */
export default class MemberService {
  static list(filters: MemberFilters) {
    const query = Membership.query()
      .preload('user')
      .preload('role')
      .orderBy('memberships.id', 'asc')
    if (filters.status) query.where('memberships.status', filters.status)
    if (filters.role_id) query.where('memberships.role_id', filters.role_id)
    if (filters.q) {
      const term = `%${filters.q.toLowerCase()}%`
      query.whereHas('user', (user) => user.whereILike('email', term).orWhereILike('name', term))
    }
    return query
  }

  /**
   * The membership of `userId` in the current organization (404 otherwise).
   */
  static async find(userId: number) {
    const membership = await Membership.query()
      .where('user_id', userId)
      .preload('user')
      .preload('role')
      .first()
    if (!membership || !membership.user) throw ApiException.notFound('Member not found')
    return membership
  }

  /**
   * A role the acting member may hand out: visible in this organization
   * and granting nothing the actor lacks.
   */
  static async assignableRole(roleId: number, actor: Tenant) {
    const role = await Role.query().where('id', roleId).preload('grants').first()
    if (!role) {
      throw new ApiException('This role does not exist in this organization.', 'UNKNOWN_ROLE', 422)
    }
    const beyond = role.permissions.filter((permission) => !actor.can(permission))
    if (beyond.length > 0) {
      throw ApiException.forbidden(
        `You cannot grant a role with permissions you do not have (${beyond.join(', ')}).`
      )
    }
    return role
  }

  /**
   * Every role of the organization (built-in first), for filters and forms.
   */
  static roles() {
    return Role.query().preload('grants').orderBy('is_system', 'desc').orderBy('id')
  }

  /**
   * The roles the acting member may hand out (see `assignableRole`).
   */
  static assignableAmong(roles: Role[], actor: Tenant) {
    return roles.filter((role) => role.permissions.every((permission) => actor.can(permission)))
  }

  /**
   * Brings `email` into the organization with a role the actor may grant:
   * an existing account is added at once (unless `inviteExisting`, then it
   * is invited like an unknown email, which is mailed an invitation).
   */
  static async addOrInvite(
    email: string,
    roleId: number,
    actor: Tenant,
    options: { inviteExisting: true }
  ): Promise<MemberInvited>
  static async addOrInvite(
    email: string,
    roleId: number,
    actor: Tenant,
    options?: { inviteExisting?: boolean }
  ): Promise<MemberInvited | MemberAdded>
  static async addOrInvite(
    email: string,
    roleId: number,
    actor: Tenant,
    options: { inviteExisting?: boolean } = {}
  ): Promise<MemberInvited | MemberAdded> {
    const role = await this.assignableRole(roleId, actor)
    const user = options.inviteExisting ? null : await UserService.findByEmail(email)
    const changes = { email, role: role.slug }

    if (!user) {
      const invitation = await InvitationService.invite(email, role, actor)
      return {
        outcome: 'invited',
        role,
        invitation,
        audit: {
          action: 'invitation.created',
          subject: { type: 'invitation', id: invitation.id },
          changes,
        },
      }
    }

    const membership = await this.add(user, role)
    return {
      outcome: 'added',
      role,
      membership,
      audit: { action: 'member.added', subject: { type: 'user', id: user.id }, changes },
    }
  }

  /**
   * Adds an existing user to the organization.
   */
  static async add(user: User, role: Role, client?: TransactionClientContract) {
    const existing = await Membership.query({ client }).where('user_id', user.id).first()
    if (existing) throw ApiException.conflict('This person is already a member.', 'ALREADY_MEMBER')
    const membership = await Membership.create(
      { userId: user.id, roleId: role.id, status: 'active' },
      { client }
    )
    membership.$setRelated('user', user)
    membership.$setRelated('role', role)
    return membership
  }

  /**
   * Changes role and/or status, refusing to leave the organization without
   * an active owner.
   */
  static async update(
    membership: Membership,
    input: { role_id?: number; status?: 'active' | 'disabled' },
    actor: Tenant
  ) {
    const changes = {
      role: input.role_id ? await this.assignableRole(input.role_id, actor) : undefined,
      status: input.status,
    }
    if (this.#isOwner(membership.role)) {
      if (!this.#isOwner(actor.role))
        throw ApiException.forbidden('Only an owner can change an owner.')
      const losesOwner =
        (changes.role && changes.role.id !== membership.roleId) || changes.status === 'disabled'
      if (losesOwner) await this.#guardLastOwner(membership)
    }

    const before = { role_id: membership.roleId, status: membership.status }
    return db.transaction(async (trx) => {
      membership.useTransaction(trx)
      if (changes.role) membership.roleId = changes.role.id
      if (changes.status) membership.status = changes.status
      await membership.save()
      if (changes.status === 'disabled') await this.#revokeTokens(membership, trx)
      await membership.load('role')
      const audit: AuditedChange = {
        action: 'member.updated',
        subject: { type: 'user', id: membership.userId },
        changes: { before, after: { role_id: membership.roleId, status: membership.status } },
      }
      return { membership, audit }
    })
  }

  /**
   * Removes the membership and the member's tokens in this organization.
   */
  static async remove(membership: Membership, actor: Tenant) {
    if (this.#isOwner(membership.role)) {
      if (!this.#isOwner(actor.role))
        throw ApiException.forbidden('Only an owner can remove an owner.')
      await this.#guardLastOwner(membership)
    }
    await db.transaction(async (trx) => {
      membership.useTransaction(trx)
      await this.#revokeTokens(membership, trx)
      await membership.delete()
    })
    return {
      action: 'member.removed',
      subject: { type: 'user', id: membership.userId },
      changes: { email: membership.user.email, role: membership.role.slug },
    } satisfies AuditedChange
  }

  static async #guardLastOwner(membership: Membership) {
    const owners = await Membership.query()
      .where('memberships.status', 'active')
      .whereHas('role', (role) => role.where('slug', SystemRole.Owner).where('is_system', true))
      .count('* as total')
    if (Number(owners[0].$extras.total) <= 1 && membership.status === 'active') {
      throw ApiException.conflict(
        'An organization needs at least one active owner: make someone else owner first.',
        'LAST_OWNER'
      )
    }
  }

  static async #revokeTokens(membership: Membership, trx: TransactionClientContract) {
    await AccessToken.query({ client: trx }).where('user_id', membership.userId).delete()
    await AuthCache.invalidate(trx)
  }

  static #isOwner(role: Role) {
    return role.isSystem && role.slug === SystemRole.Owner
  }
}

export function presentMember(membership: Membership) {
  return {
    user_id: membership.userId,
    name: membership.user.name,
    email: membership.user.email,
    status: membership.status,
    account_status: membership.user.status,
    role: { id: membership.role.id, slug: membership.role.slug, name: membership.role.name },
    joined_at: membership.createdAt.toISO(),
  }
}
