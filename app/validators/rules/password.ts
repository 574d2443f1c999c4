import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
import type User from '#models/user'
import { PASSWORD_MAX_LENGTH, passwordProblem } from '#support/password_policy'

const strongPasswordRule = vine.createRule(
  (value: unknown, _options: undefined, field: FieldContext) => {
    if (typeof value !== 'string') return
    const problem = passwordProblem(value)
    if (problem) field.report(problem, 'password_policy', field)
  }
)

/**
 * A new password: at least 12 characters and not a common one.
 */
export const newPassword = () =>
  vine.string().maxLength(PASSWORD_MAX_LENGTH).use(strongPasswordRule())

const currentPasswordRule = vine.createRule(
  async (value: unknown, _options: undefined, field: FieldContext) => {
    if (typeof value !== 'string') return
    const user = field.meta.user as User
    if (!(await user.verifyPassword(value))) {
      field.report('The current password is incorrect', 'current_password', field)
    }
  },
  { isAsync: true }
)

/**
 * The signed-in user's password, asked again before a sensitive change;
 * the validator's metadata carries the user (`{ meta: { user } }`).
 */
export const currentPassword = () => vine.string().maxLength(256).use(currentPasswordRule())
