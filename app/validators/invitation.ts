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
 */
export const acceptInvitationValidator = vine.compile(
  vine.object({
    name: vine.string().trim().minLength(1).maxLength(120).optional(),
    password: newPassword().optional(),
  })
)
