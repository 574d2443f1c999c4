import string from '@adonisjs/core/helpers/string'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Organization from '#models/organization'
import Membership from '#models/membership'
import Role from '#models/role'
import AccessToken from '#models/access_token'
import Invitation from '#models/invitation'
import type User from '#models/user'
import ApiException from '#exceptions/api_exception'
import { SystemRole } from '#enums/permissions'
import { TenantContext } from '#support/tenant_context'
import type { AuditedChange } from '#services/audit_service'
import { AuthCache } from '#support/auth_cache'

export default class OrganizationService {
  /**
   * A URL-safe slug, unique among organizations (deleted ones included).
   */
  static async uniqueSlug(name: string, client?: TransactionClientContract) {
    const base = string.slug(name, { lower: true, strict: true }).slice(0, 48) || 'organization'
    for (let attempt = 0; attempt < 20; attempt++) {
      const slug =
        attempt === 0
          ? base
          : `${base}-${string
              .random(6)
              .toLowerCase()
              .replace(/[^a-z0-9]/g, 'x')}`
      const taken = await Organization.query({ client }).withTrashed().where('slug', slug).first()
      if (!taken) return slug
    }
    throw ApiException.conflict('Could not find a free slug for this name: choose another one.')
  }

  /**
   * Creates an organization with `owner` as its first owner, all or nothing.
   */
  static async create(
    input: { name: string; slug?: string },
    owner: User,
    transaction?: TransactionClientContract
  ) {
    const run = <T>(callback: (trx: TransactionClientContract) => Promise<T>) =>
      transaction ? callback(transaction) : db.transaction(callback)

    return run(async (trx) => {
      if (input.slug) {
        const taken = await Organization.query({ client: trx })
          .withTrashed()
          .where('slug', input.slug)
          .first()
        if (taken)
          throw ApiException.conflict(
            'This slug is already taken: choose another one.',
            'SLUG_TAKEN'
          )
      }
      const slug = input.slug ?? (await this.uniqueSlug(input.name, trx))
      const organization = await Organization.create(
        { name: input.name, slug, status: 'active', plan: 'free', settings: {} },
        { client: trx }
      )

      await TenantContext.run(organization.id, async () => {
        const ownerRole = await Role.query({ client: trx })
          .where('slug', SystemRole.Owner)
          .where('is_system', true)
          .firstOrFail()
        await Membership.create(
          { userId: owner.id, roleId: ownerRole.id, status: 'active' },
          { client: trx }
        )
      })
      return organization
    })
  }

  /**
   * Changes name and slug of the current organization.
   */
  static async update(organization: Organization, input: { name?: string; slug?: string }) {
    if (input.slug && input.slug !== organization.slug) {
      const taken = await Organization.query().withTrashed().where('slug', input.slug).first()
      if (taken)
        throw ApiException.conflict('This slug is already taken: choose another one.', 'SLUG_TAKEN')
    }
    const before = { name: organization.name, slug: organization.slug }
    organization.merge(input)
    await organization.save()
    const audit: AuditedChange = {
      action: 'organization.updated',
      subject: { type: 'organization', id: organization.id },
      changes: { before, after: input },
    }
    return { organization, audit }
  }

  /**
   * Platform: organizations with their member counts, newest first.
   */
  static platformList(filters: { q?: string; status?: 'active' | 'suspended' }) {
    const query = Organization.query().withCount('memberships').orderBy('id', 'desc')
    if (filters.status) query.where('status', filters.status)
    if (filters.q) {
      const term = `%${filters.q.toLowerCase()}%`
      query.where((search) => search.whereILike('name', term).orWhereILike('slug', term))
    }
    return query
  }

  /**
   * Platform: organizations by name for a filter select (bounded).
   */
  static platformOptions(limit = 500) {
    return Organization.query().select('id', 'name', 'slug').orderBy('name').limit(limit)
  }

  /**
   * Platform: suspends or reactivates an organization. A suspended
   * organization's tokens and sessions answer 403 ORGANIZATION_SUSPENDED.
   */
  static async setStatus(organization: Organization, status: 'active' | 'suspended') {
    const before = organization.status
    organization.status = status
    await organization.save()
    return {
      action: status === 'suspended' ? 'organization.suspended' : 'organization.activated',
      organizationId: organization.id,
      subject: { type: 'organization', id: organization.id },
      changes: { before: { status: before }, after: { status } },
    } satisfies AuditedChange
  }

  /**
   * Soft-deletes the organization and, in the same transaction, revokes
   * its API tokens and pending invitations: nobody acts in it or joins it
   * afterwards (tenant resolution no longer finds it). Its slug stays
   * reserved, so a deleted organization's links never point elsewhere.
   */
  static async delete(organization: Organization) {
    return TenantContext.run(organization.id, () =>
      db.transaction(async (trx) => {
        const revoked = await AccessToken.query({ client: trx }).delete()
        await AuthCache.invalidate(trx)
        const cancelledInvitations = await Invitation.query({ client: trx })
          .whereNull('accepted_at')
          .delete()
        await organization.useTransaction(trx).delete()
        return {
          action: 'organization.deleted',
          subject: { type: 'organization', id: organization.id },
          changes: {
            name: organization.name,
            slug: organization.slug,
            // Counts (a key naming tokens would be redacted in the audit row).
            revokedAccess: Number(revoked),
            cancelledInvitations: Number(cancelledInvitations),
          },
        } satisfies AuditedChange
      })
    )
  }
}
