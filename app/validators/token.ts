import vine from '@vinejs/vine'
import { tokenAbilities, tokenExpiry } from '#validators/auth'

export const createTokenValidator = vine.compile(
  vine.object({
    name: vine.string().trim().minLength(1).maxLength(100),
    abilities: tokenAbilities().optional(),
    expires_in: tokenExpiry().optional(),
  })
)
