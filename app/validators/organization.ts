import vine from '@vinejs/vine'

export const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/

export const updateOrganizationValidator = vine.compile(
  vine.object({
    name: vine.string().trim().minLength(2).maxLength(120).optional(),
    slug: vine.string().trim().toLowerCase().minLength(2).maxLength(64).regex(SLUG).optional(),
  })
)

/**
 * Deleting an organization is confirmed by typing its slug (passed as
 * metadata): a typo or a stale form refuses instead of deleting.
 */
const matchesSlug = vine.createRule((value, _, field) => {
  if (typeof value === 'string' && value !== field.meta.slug) {
    field.report(
      'Type the organization’s slug exactly as shown to confirm the deletion',
      'confirm',
      field
    )
  }
})

export const deleteOrganizationValidator = vine.withMetaData<{ slug: string }>().compile(
  vine.object({
    confirm: vine.string().trim().maxLength(64).use(matchesSlug()),
  })
)
