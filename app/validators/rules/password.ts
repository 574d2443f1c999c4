import vine from '@vinejs/vine'
import type { FieldContext } from '@vinejs/vine/types'
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
