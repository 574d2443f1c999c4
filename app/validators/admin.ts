import vine from '@vinejs/vine'
import { withoutBlanks } from '#validators/audit_log'

export const listOrganizationsValidator = vine.compile(
  vine
    .object({
      q: vine.string().trim().maxLength(100).optional(),
      status: vine.enum(['active', 'suspended']).optional(),
    })
    .parse(withoutBlanks)
)

export const updateOrganizationStatusValidator = vine.compile(
  vine.object({
    status: vine.enum(['active', 'suspended']),
  })
)

export const listUsersValidator = vine.compile(
  vine
    .object({
      q: vine.string().trim().maxLength(100).optional(),
      status: vine.enum(['active', 'disabled']).optional(),
      super_admin: vine.boolean().optional(),
    })
    .parse(withoutBlanks)
)

/**
 * A platform change to an account: its status or its super-admin flag
 * (one of them is required).
 */
export const updatePlatformUserValidator = vine.compile(
  vine.object({
    status: vine.enum(['active', 'disabled']).optional().requiredIfMissing('is_super_admin'),
    is_super_admin: vine.boolean().optional().requiredIfMissing('status'),
  })
)
