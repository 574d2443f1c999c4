import vine from '@vinejs/vine'
import type User from '#models/user'
import { currentPassword, newPassword } from '#validators/rules/password'

/**
 * The signed-in user's own account (console profile). Validated with
 * `{ meta: { user } }`: the current password is checked against it.
 */
const forUser = vine.withMetaData<{ user: User }>()

export const updateProfileValidator = vine.compile(
  vine.object({
    name: vine.string().trim().minLength(1).maxLength(120),
  })
)

export const changeEmailValidator = forUser.compile(
  vine.object({
    // Emails of deleted accounts stay taken, as on sign-up.
    email: vine
      .string()
      .trim()
      .toLowerCase()
      .email()
      .maxLength(254)
      .unique({
        table: 'users',
        column: 'email',
        filter: (query, _, field) => {
          query.whereNot('id', field.meta.user.id)
        },
      }),
    current_password: currentPassword(),
  })
)

export const changePasswordValidator = forUser.compile(
  vine.object({
    current_password: currentPassword(),
    password: newPassword().confirmed(),
  })
)
