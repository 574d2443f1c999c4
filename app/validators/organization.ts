import vine from '@vinejs/vine'

export const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/

export const updateOrganizationValidator = vine.compile(
  vine.object({
    name: vine.string().trim().minLength(2).maxLength(120).optional(),
    slug: vine.string().trim().toLowerCase().minLength(2).maxLength(64).regex(SLUG).optional(),
  })
)
