import vine from '@vinejs/vine'

export const listOrganizationsValidator = vine.compile(
  vine.object({
    q: vine.string().trim().maxLength(100).optional(),
    status: vine.enum(['active', 'suspended']).optional(),
  })
)

export const updateOrganizationStatusValidator = vine.compile(
  vine.object({
    status: vine.enum(['active', 'suspended']),
  })
)
