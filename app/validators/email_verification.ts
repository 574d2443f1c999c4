import vine from '@vinejs/vine'
import { mailedToken } from '#validators/rules/mailed_token'

export const verifyEmailValidator = vine.compile(
  vine.object({
    token: mailedToken(),
  })
)
