import vine from '@vinejs/vine'
import { MAX_PER_PAGE } from '#validators/pagination'

/**
 * Filters of the audit log. `action` matches exactly, or by prefix when it
 * ends with `*` (`member.*`).
 */
export const listAuditLogsValidator = vine.compile(
  vine.object({
    action: vine
      .string()
      .trim()
      .maxLength(100)
      .regex(/^[a-z0-9_.]+\*?$/)
      .optional(),
    user_id: vine.number().withoutDecimals().positive().optional(),
    status: vine.enum(['success', 'error']).optional(),
    from: vine.date({ formats: { utc: true } }).optional(),
    to: vine
      .date({ formats: { utc: true } })
      .afterOrSameAs('from')
      .optional(),
    page: vine.number().withoutDecimals().min(1).max(1_000_000).optional(),
    per_page: vine.number().withoutDecimals().min(1).optional(),
  })
)

export const AUDIT_MAX_PER_PAGE = MAX_PER_PAGE
