import vine from '@vinejs/vine'

export const MAX_PER_PAGE = 100
export const DEFAULT_PER_PAGE = 20

/**
 * `?page=&per_page=` of every list endpoint. per_page above the cap is
 * clamped to 100 rather than refused.
 */
export const paginationValidator = vine.compile(
  vine.object({
    page: vine.number().withoutDecimals().min(1).max(1_000_000).optional(),
    per_page: vine.number().withoutDecimals().min(1).optional(),
  })
)
