import vine from '@vinejs/vine'
import { mailedToken } from '#validators/rules/mailed_token'
import { newPassword } from '#validators/rules/password'

export const forgotPasswordValidator = vine.compile(
  vine.object({
    email: vine.string().trim().toLowerCase().email().maxLength(254),
  })
)

export const resetPasswordValidator = vine.compile(
  vine.object({
    token: mailedToken(),
    password: newPassword(),
    // The console's form asks for the password twice (meta `confirm`); API clients send it once.
    password_confirmation: vine
      .string()
      .sameAs('password')
      .optional()
      .requiredWhen((field) => field.meta.confirm === true),
  })
)
