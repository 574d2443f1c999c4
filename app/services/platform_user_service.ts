import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import AccessToken from '#models/access_token'
import User, { type UserStatus } from '#models/user'
import ApiException from '#exceptions/api_exception'
import { TenantContext } from '#support/tenant_context'
import { AuthCache } from '#support/auth_cache'

type UserFilters = { q?: string; status?: UserStatus; super_admin?: boolean }

type PlatformUserChanges = { status?: UserStatus; is_super_admin?: boolean }

/**
 * Platform administration of accounts (super-admins): every user across
 * organizations, disabling and enabling them, granting and removing the
 * super-admin flag.
 */
export default class PlatformUserService {
  /**
   * Users with the number of organizations they belong to, newest first.
   */
  static list(filters: UserFilters) {
    const query = User.query().withCount('memberships').orderBy('id', 'desc')
    if (filters.status) query.where('status', filters.status)
    if (filters.super_admin !== undefined) query.where('is_super_admin', filters.super_admin)
    if (filters.q) {
      const term = `%${filters.q.toLowerCase()}%`
      query.where((search) => search.whereILike('email', term).orWhereILike('name', term))
    }
    return query
  }

  /**
   * Changes one account's status or super-admin flag. Refuses changes to
   * the acting account and anything that would leave the platform without
   * an active super-admin; disabling also revokes the account's API tokens
   * in every organization.
   */
  static async update(actor: User, userId: number, changes: PlatformUserChanges) {
    if (changes.status !== undefined && changes.is_super_admin !== undefined) {
      throw new ApiException(
        'Change the status or the super-admin flag, one at a time.',
        'ONE_CHANGE_AT_A_TIME',
        422
      )
    }
    const removesPlatformAccess = changes.status === 'disabled' || changes.is_super_admin === false

    return db.transaction(async (trx) => {
      // Super-admin rows are locked before the target row, always in this
      // order, so two super-admins demoting each other cannot both succeed
      // (nor deadlock).
      const activeSuperAdmins = removesPlatformAccess ? await this.#lockActiveSuperAdmins(trx) : []
      const user = await User.query({ client: trx }).where('id', userId).forUpdate().firstOrFail()
      if (user.id === actor.id) {
        throw ApiException.conflict(
          'You cannot change your own account here: ask another super-admin.',
          'SELF_CHANGE'
        )
      }
      const isActiveSuperAdmin = activeSuperAdmins.some((admin) => admin.id === user.id)
      if (removesPlatformAccess && isActiveSuperAdmin && activeSuperAdmins.length <= 1) {
        throw ApiException.conflict(
          'This is the last active super-admin: promote someone else first.',
          'LAST_SUPER_ADMIN'
        )
      }

      const before = { status: user.status, is_super_admin: user.isSuperAdmin }
      user.useTransaction(trx)
      if (changes.status !== undefined) user.status = changes.status
      if (changes.is_super_admin !== undefined) user.isSuperAdmin = changes.is_super_admin
      await user.save()
      if (changes.status === 'disabled') await this.#revokeTokens(user, trx)
      return { user, before }
    })
  }

  static async #lockActiveSuperAdmins(trx: TransactionClientContract) {
    return User.query({ client: trx })
      .where('is_super_admin', true)
      .where('status', 'active')
      .orderBy('id')
      .forUpdate()
      .select('id')
  }

  /**
   * Tokens belong to organizations: removing all of a user's is platform work.
   */
  static async #revokeTokens(user: User, trx: TransactionClientContract) {
    await TenantContext.asPlatform(async () => {
      await AccessToken.query({ client: trx }).where('user_id', user.id).delete()
    })
    await AuthCache.invalidate(trx)
  }
}
