import vine from '@vinejs/vine'
import string from '@adonisjs/core/helpers/string'
import { ALL_ABILITIES, isPermission } from '#enums/permissions'
import { newPassword } from '#validators/rules/password'

/**
 * `30d`, `12 hours`, `3600` (seconds) or `never`.
 */
export const TOKEN_EXPIRY =
  /^(never|\d{1,6}|\d{1,4}\s*(s|m|h|d|w|y|sec|secs|seconds?|mins?|minutes?|hrs?|hours?|days?|weeks?|years?))$/i

export const tokenAbilities = () =>
  vine
    .array(
      vine
        .string()
        .trim()
        .maxLength(64)
        .use(
          vine.createRule((value, _, field) => {
            if (typeof value === 'string' && value !== ALL_ABILITIES && !isPermission(value)) {
              field.report(
                `"${value}" is not a permission (GET /api/v1/permissions lists them)`,
                'ability',
                field
              )
            }
          })()
        )
    )
    .minLength(1)
    .maxLength(50)
    .distinct()

/**
 * `expires_in` as seconds, or `never`. Bare digits are seconds (the
 * duration parser would read them as milliseconds); zero durations are
 * refused.
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

export const tokenExpiry = () =>
  vine
    .string()
    .trim()
    .maxLength(20)
    .regex(TOKEN_EXPIRY)
    .use(positiveDuration())
    .transform((value) => (value.toLowerCase() === 'never' ? ('never' as const) : toSeconds(value)))

export const loginValidator = vine.compile(
  vine.object({
    email: vine.string().trim().toLowerCase().email().maxLength(254),
    password: vine.string().maxLength(256),
    organization: vine.string().trim().toLowerCase().maxLength(64).optional(),
    token_name: vine.string().trim().maxLength(100).optional(),
    abilities: tokenAbilities().optional(),
    expires_in: tokenExpiry().optional(),
  })
)

export const registerValidator = vine.compile(
  vine.object({
    name: vine.string().trim().minLength(1).maxLength(120),
    email: vine.string().trim().toLowerCase().email().maxLength(254),
    password: newPassword(),
    organization_name: vine.string().trim().minLength(2).maxLength(120),
  })
)

export const sessionLoginValidator = vine.compile(
  vine.object({
    email: vine.string().trim().toLowerCase().email().maxLength(254),
    password: vine.string().maxLength(256),
    organization: vine.string().trim().toLowerCase().maxLength(64).optional(),
    /** "Remember me": a cookie that signs this browser in again after the session ends. */
    remember: vine.boolean().optional(),
  })
)

export const switchOrganizationValidator = vine.compile(
  vine.object({
    organization: vine.string().trim().toLowerCase().maxLength(64),
  })
)
