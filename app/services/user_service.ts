import User from '#models/user'
import ApiException from '#exceptions/api_exception'
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
}
