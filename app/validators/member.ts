import vine from '@vinejs/vine'

export const listMembersValidator = vine.compile(
  vine.object({
    status: vine.enum(['active', 'disabled']).optional(),
    role_id: vine.number().withoutDecimals().positive().optional(),
    q: vine.string().trim().maxLength(100).optional(),
  })
)

export const addMemberValidator = vine.compile(
  vine.object({
    email: vine.string().trim().toLowerCase().email().maxLength(254),
    role_id: vine.number().withoutDecimals().positive(),
  })
)

export const updateMemberValidator = vine.compile(
  vine.object({
    role_id: vine.number().withoutDecimals().positive().optional(),
    status: vine.enum(['active', 'disabled']).optional(),
  })
)
