import vine from '@vinejs/vine'
import string from '@adonisjs/core/helpers/string'
import { tokenAbilities, tokenExpiry } from '#validators/auth'

/**
 * `expires_in` in seconds. Bare digits are seconds (the duration parser
 * would read them as milliseconds); it throws on zero durations (`0d`).
 */
function toSeconds(value: string) {
  try {
    return string.seconds.parse(/^\d+$/.test(value) ? Number(value) : value)
  } catch {
    return Number.NaN
  }
}

const positiveDuration = vine.createRule((value, _, field) => {
  if (typeof value === 'string' && value.toLowerCase() !== 'never' && !(toSeconds(value) >= 1)) {
    field.report('The token must live at least one second (or send "never")', 'duration', field)
  }
})

export const createTokenValidator = vine.compile(
  vine.object({
    name: vine.string().trim().minLength(1).maxLength(100),
    abilities: tokenAbilities().optional(),
    expires_in: tokenExpiry()
      .use(positiveDuration())
      .transform((value) =>
        value.toLowerCase() === 'never' ? ('never' as const) : toSeconds(value)
      )
      .optional(),
  })
)
