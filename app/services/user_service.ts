import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import ApiException from '#exceptions/api_exception'
import EmailVerificationService from '#services/email_verification_service'
import SessionTrackingService from '#services/session_tracking_service'
import { passwordProblem } from '#support/password_policy'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'

export default class UserService {
  /**
   * Finds a user by email, case-insensitively (deleted ones excluded).
   */
  static findByEmail(email: string) {
    return User.findBy('email', email.trim().toLowerCase())
  }

  /**
   * Creates a global user. The password must satisfy the password policy;
   * an email that exists (even on a deleted account) is refused.
   */
  static async create(
    input: { name: string; email: string; password: string; isSuperAdmin?: boolean },
    client?: TransactionClientContract
  ) {
    const email = input.email.trim().toLowerCase()
    const problem = passwordProblem(input.password)
    if (problem) throw new ApiException(`Password refused: ${problem}.`, 'WEAK_PASSWORD', 422)
    if (await User.query({ client }).withTrashed().where('email', email).first()) {
      throw ApiException.conflict('An account with this email already exists.', 'EMAIL_TAKEN')
    }
    return User.create(
      {
        name: input.name,
        email,
        password: input.password,
        isSuperAdmin: input.isSuperAdmin ?? false,
        status: 'active',
      },
      { client }
    )
  }

  /**
   * Renames the user; returns what changed (for the audit trail).
   */
  static async updateProfile(user: User, input: { name: string }) {
    const changes = user.name === input.name ? {} : { name: { from: user.name, to: input.name } }
    user.name = input.name
    await user.save()
    return changes
  }

  /**
   * Moves the account to a new address (uniqueness and the current password
   * are checked by the validator): unverified until the link mailed there
   * is followed.
   */
  static async changeEmail(user: User, email: string) {
    const previous = user.email
    if (email === previous) {
      throw new ApiException('That is already your email address.', 'EMAIL_UNCHANGED', 422)
    }
    user.email = email
    user.emailVerifiedAt = null
    await user.save()
    await EmailVerificationService.send(user)
    return { from: previous, to: user.email }
  }

  /**
   * Sets a new password (the current one is checked by the validator) and
   * ends every other console session: whoever knew the old password is
   * signed out. Returns how many sessions were ended.
   */
  static async changePassword(user: User, password: string, currentSessionId: string) {
    const problem = passwordProblem(password)
    if (problem) throw new ApiException(`Password refused: ${problem}.`, 'WEAK_PASSWORD', 422)
    return db.transaction(async (trx) => {
      user.password = password
      await user.useTransaction(trx).save()
      return SessionTrackingService.endOthers(user.id, currentSessionId, trx)
    })
  }
}
