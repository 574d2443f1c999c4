import vine from '@vinejs/vine'
import { newPassword } from '#validators/rules/password'

export const createInvitationValidator = vine.compile(
  vine.object({
    email: vine.string().trim().toLowerCase().email().maxLength(254),
    role_id: vine.number().withoutDecimals().positive(),
  })
)

/**
 * Name and password are needed only when the invited email has no account.
 * The API takes the secret from the URL; the console's form posts it.
 */
export const acceptInvitationValidator = vine.compile(
  vine.object({
    token: vine.string().maxLength(200).optional(),
    name: vine.string().trim().minLength(1).maxLength(120).optional(),
    password: newPassword().optional(),
  })
)
